// The web app's only stylesheets and script, served from /static/ by the app itself: the pages
// carry no inline script or style, so the Content-Security-Policy allows 'self' and nothing else.
// Buttons and links ask for behaviour with data-action (print, back) instead of onclick.

export const appCss = `
*{box-sizing:border-box}body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",sans-serif;margin:0;color:#1b2733;background:#f4f6f8}
header{background:#0b4f8a;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header .brand{font-weight:bold;font-size:1.15rem}header .me{margin-left:auto;font-size:.9rem}
header .me .who{opacity:.75;font-size:.85rem}header form{display:inline}header button{background:none;border:1px solid #fff;color:#fff;border-radius:3px;cursor:pointer}
main{padding:1rem 1.2rem;max-width:1200px;margin:auto}h1{font-size:1.35rem}h2{font-size:1.1rem;margin-top:1.6rem}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #d5dde5;padding:.35rem .5rem;text-align:left;font-size:.9rem;vertical-align:top}
th{background:#e8eef4}tr.overdue td{background:#fff1f0}tr.submitted td{background:#fffbe6}tr.met td{background:#f0fff4}
.tag{display:inline-block;padding:0 .4rem;border-radius:3px;font-size:.85rem;background:#e8eef4}.tag.overdue,.tag.unmet{background:#ffccc7}.tag.met{background:#b7eb8f}.tag.met-late{background:#ffe58f}.tag.submitted{background:#fff1b8}
.lvl{font-weight:bold;color:#a8071a}.pace{font-weight:bold;padding:0 .3rem}.pace-green{color:#237804;background:#f6ffed}.pace-yellow{color:#ad6800;background:#fffbe6}.pace-red{color:#a8071a;background:#fff1f0}.muted{color:#667}.ok{background:#f0fff4;border:1px solid #b7eb8f;padding:.6rem}.err{background:#fff1f0;border:1px solid #ffa39e;padding:.6rem}
form.inline{display:inline-flex;gap:.3rem;align-items:center;flex-wrap:wrap}input,select,textarea,button{font:inherit}
.card{background:#fff;border:1px solid #d5dde5;padding:.8rem;margin:.6rem 0}.filters{display:flex;gap:.6rem;flex-wrap:wrap;align-items:end}
.filters label{display:flex;flex-direction:column;font-size:.85rem}code{font-size:.85rem;word-break:break-all}
ol.timeline{list-style:none;padding-left:0;border-left:3px solid #0b4f8a;margin-left:.4rem}ol.timeline li{padding:.3rem .8rem;position:relative}
.preview{display:block;max-width:100%;margin-top:.4rem;border:1px solid #d5dde5;background:#fff}iframe.preview{width:100%;height:360px}img.preview{max-height:360px}
ol.timeline li:before{content:"";position:absolute;left:-.5rem;top:.7rem;width:.7rem;height:.7rem;border-radius:50%;background:#0b4f8a}
`;

/** A stored letter, printable on A4. */
export const letterCss = `
body{font-family:"Noto Serif CJK SC","Songti SC",serif;max-width:800px;margin:2rem auto;line-height:1.8;color:#000}
.bar{font-family:sans-serif;background:#eef;padding:.5rem;margin-bottom:1rem}@media print{.bar{display:none}body{margin:0;max-width:none}@page{size:A4;margin:2.5cm 2cm}}
`;

export const appJs = `'use strict';
document.addEventListener('click', function (e) {
  var t = e.target && e.target.closest ? e.target.closest('[data-action]') : null;
  if (!t) return;
  if (t.getAttribute('data-action') === 'print') {
    e.preventDefault();
    window.print();
  } else if (t.getAttribute('data-action') === 'back' && window.history.length > 1) {
    e.preventDefault();
    window.history.back();
  }
});
`;

export const assets: Record<string, { type: string; body: string }> = {
  'lantian.css': { type: 'text/css; charset=utf-8', body: appCss },
  'letter.css': { type: 'text/css; charset=utf-8', body: letterCss },
  'lantian.js': { type: 'text/javascript; charset=utf-8', body: appJs },
};
