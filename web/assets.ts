// The web app's only stylesheets and script, served from /static/ by the app itself: the pages
// carry no inline script or style, so the Content-Security-Policy allows 'self' and nothing else.
// Buttons and links ask for behaviour with data-action (print, back) instead of onclick.
import { scoreboardCss } from './scoreboard';

export const appCss = `
:root{--ink:#1b2733;--muted:#56616e;--line:#d3dbe3;--line-strong:#7b8794;--bg:#f3f5f8;--card:#fff;--brand:#0b4f8a;--brand-dark:#083b68;--primary:#0b57a4;--primary-dark:#084584;--danger:#b42318;--danger-dark:#8f1c13;--focus:#f5a300;--zebra:#f6f8fb;--head:#e6edf4}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;font-size:15px;line-height:1.6;margin:0;color:var(--ink);background:var(--bg)}
a{color:var(--primary)}a:hover{color:var(--primary-dark)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:.5rem;top:-3rem;background:#fff;color:var(--ink);padding:.4rem .8rem;border-radius:4px;z-index:10}.skip:focus{top:.5rem}
header.top{background:var(--brand);color:#fff;display:flex;align-items:stretch;gap:1.5rem;padding:0 1.5rem;min-height:3.4rem;box-shadow:0 1px 3px rgba(0,0,0,.2)}
header.top a{color:#fff;text-decoration:none}
header.top .brand{display:flex;flex-direction:column;justify-content:center;white-space:nowrap;line-height:1.25}
header.top .brand b{font-size:1.2rem;letter-spacing:.08em}header.top .brand small{font-size:.78rem;color:#dbe7f3}
header.top nav{display:flex;align-items:stretch;gap:.2rem}
header.top nav a{display:flex;align-items:center;padding:0 .85rem;border-bottom:3px solid transparent;border-top:3px solid transparent;white-space:nowrap}
header.top nav a:hover{background:rgba(255,255,255,.1)}
header.top nav a[aria-current=page]{border-bottom-color:#fff;font-weight:bold;background:rgba(255,255,255,.14)}
header.top .me{margin-left:auto;display:flex;align-items:center;gap:.3rem;font-size:.9rem;white-space:nowrap}
header.top .me .who{color:#dbe7f3}
header.top form{display:flex;align-items:center;margin:0 0 0 .8rem}
header.top :focus-visible{outline-color:#ffd666}
header.top button{background:transparent;border:1px solid #fff;color:#fff;padding:.25rem .8rem;min-height:auto}
header.top button:hover{background:rgba(255,255,255,.15)}
main{display:block;padding:1.2rem 1.5rem 3rem;max-width:1280px;margin:0 auto}
h1{font-size:1.45rem;margin:.3rem 0 1rem;line-height:1.35}h2{font-size:1.15rem;margin:1.8rem 0 .6rem;padding-bottom:.25rem;border-bottom:1px solid var(--line)}h3{font-size:1rem;margin:1.2rem 0 .5rem}
p{margin:.5rem 0}
h1[tabindex]:focus{outline:none}
code{font-family:"Noto Sans Mono","DejaVu Sans Mono",monospace;font-size:.82rem;word-break:break-all;background:#eef2f6;padding:0 .2rem;border-radius:3px}
pre{white-space:pre-wrap;word-break:break-word;font-size:.85rem}
hr{border:0;border-top:1px solid var(--line);margin:.8rem 0}
.muted{color:var(--muted)}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:1rem 1.2rem;margin:.8rem 0;box-shadow:0 1px 2px rgba(16,24,40,.05)}
.card>p:first-child{margin-top:0}.card>p:last-child{margin-bottom:0}
details.ids{margin-top:.6rem;font-size:.85rem}details summary{cursor:pointer}
input,select,textarea,button{font:inherit;font-size:.95rem}
input:not([type=checkbox]):not([type=radio]):not([type=hidden]):not([type=file]),select,textarea{border:1px solid var(--line-strong);border-radius:4px;padding:.35rem .55rem;background:#fff;color:var(--ink);min-height:2.25rem;max-width:100%}
input:hover,select:hover,textarea:hover{border-color:#4f5b67}
input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid var(--focus);outline-offset:1px;border-color:var(--primary)}
input::placeholder{color:#6b7684}
input[type=checkbox],input[type=radio]{width:1.05rem;height:1.05rem;accent-color:var(--primary);vertical-align:-.15rem;margin:0 .3rem 0 0}
input[type=file]{font-size:.9rem;max-width:100%}
input[type=file]::file-selector-button{font:inherit;border:1px solid var(--primary);color:var(--primary);background:#fff;border-radius:4px;padding:.35rem .8rem;margin-right:.6rem;cursor:pointer}
input[type=file]::file-selector-button:hover{background:#eaf2fb}
button,.button{display:inline-flex;align-items:center;justify-content:center;gap:.3rem;min-height:2.25rem;padding:.35rem 1.1rem;border:1px solid var(--primary);border-radius:4px;background:var(--primary);color:#fff;font-weight:bold;cursor:pointer;text-decoration:none;white-space:nowrap}
button:hover,.button:hover{background:var(--primary-dark);border-color:var(--primary-dark);color:#fff}
button:active{transform:translateY(1px)}
button.secondary,.button.secondary,.filters button{background:#fff;color:var(--primary)}
button.secondary:hover,.button.secondary:hover,.filters button:hover{background:#eaf2fb;color:var(--primary-dark)}
button.danger,.button.danger,input[name=decision][value=reject]~button,form[action$="/waive"] button{background:var(--danger);border-color:var(--danger);color:#fff}
button.danger:hover,input[name=decision][value=reject]~button:hover,form[action$="/waive"] button:hover{background:var(--danger-dark);border-color:var(--danger-dark)}
label{color:var(--ink)}
form.inline{display:inline-flex;gap:.4rem .6rem;align-items:center;flex-wrap:wrap;margin:.2rem 0}
form.inline label{display:inline-flex;align-items:center;gap:.35rem}
form.card:not(.filters) label{display:inline-flex;align-items:center;gap:.5rem;flex-wrap:wrap}
.filters{display:flex;gap:.6rem 1rem;flex-wrap:wrap;align-items:flex-end}
.filters label{display:flex;flex-direction:column;gap:.2rem;font-size:.85rem;color:var(--muted)}
.filters select{min-width:9rem}
.filters a{display:inline-flex;align-items:center;min-height:2.25rem;padding:.35rem .8rem;border:1px solid var(--line-strong);border-radius:4px;background:#fff;color:var(--primary);text-decoration:none;white-space:nowrap}.filters a:hover{background:#eaf2fb}
.table-wrap{max-width:100%;overflow:auto;max-height:78vh;margin:.6rem 0;border:1px solid var(--line);border-radius:6px;background:#fff}
.table-wrap>table{border:0;margin:0}
table{border-collapse:separate;border-spacing:0;width:100%;background:#fff}
th,td{border-bottom:1px solid var(--line);padding:.45rem .65rem;text-align:left;font-size:.9rem;vertical-align:top}
th{background:var(--head);color:#1f2d3a;font-weight:bold;white-space:nowrap;position:sticky;top:0;z-index:1;border-bottom:2px solid #b9c6d3}
tbody tr:nth-child(even)>td{background:var(--zebra)}
tbody tr:hover>td{background:#eaf2fb}
tbody tr:last-child>td{border-bottom:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.overdue>td:first-child,tr.unmet>td:first-child{box-shadow:inset 4px 0 #c62828}
tr.submitted>td:first-child{box-shadow:inset 4px 0 #d48806}
tr.met>td:first-child,tr.met-late>td:first-child{box-shadow:inset 4px 0 #2e7d32}
.tag{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.8rem;line-height:1.5;background:#e6edf4;color:#1f2d3a;white-space:nowrap}
.tag.overdue,.tag.unmet{background:#fde3e1;color:#8a1c12}.tag.met{background:#dcf3e2;color:#1d5e30}.tag.met-late{background:#fdf0d5;color:#6f4500}.tag.submitted{background:#fff3c4;color:#6b4b00}.tag.open{background:#e3eefa;color:#0b4075}.tag.waived{background:#ececec;color:#3d4650}
.lvl{font-weight:bold;color:#a8071a}
.pace{font-weight:bold;padding:0 .35rem;border-radius:3px}.pace-green{color:#1d5e30;background:#e7f7ec}.pace-yellow{color:#6b4b00;background:#fff3c4}.pace-red{color:#a8071a;background:#fde3e1}
.ok,.err{border-radius:6px;padding:.7rem 1rem;margin:.8rem 0;border:1px solid;border-left-width:5px}
.ok{background:#edf9f0;border-color:#9fd6ae;border-left-color:#2e7d32;color:#1a4d2a}
.err{background:#fdf0ef;border-color:#f1aca5;border-left-color:#b42318;color:#7a1710}
span.ok,span.err{display:inline;padding:.05rem .45rem;margin:0;border-width:1px;border-radius:4px;font-size:.85rem}
ul.err{padding-left:2rem}
ul.delivery{margin:.2rem 0 .4rem;padding-left:1.2rem;font-size:.85rem}
ol.timeline{list-style:none;padding-left:0;border-left:3px solid var(--brand);margin-left:.4rem;background:#fff;border-radius:0 6px 6px 0}
ol.timeline li{padding:.45rem 1rem;position:relative;border-bottom:1px solid #edf1f5}
ol.timeline li:before{content:"";position:absolute;left:-.55rem;top:.85rem;width:.75rem;height:.75rem;border-radius:50%;background:var(--brand);border:2px solid #fff}
.preview{display:block;max-width:100%;margin-top:.4rem;border:1px solid var(--line);border-radius:4px;background:#fff}iframe.preview{width:100%;min-width:22rem;height:360px}img.preview{max-height:360px}
main.login{max-width:960px;padding-top:3rem}
.login-panel{display:grid;grid-template-columns:1.2fr 1fr;gap:2rem;align-items:start}
.login-panel .about h1{font-size:1.6rem;color:var(--brand-dark);margin-top:0}
.login-panel .about .system{font-size:1.05rem;font-weight:bold;margin:.2rem 0 .8rem}
.login-panel .about ul{padding-left:1.2rem;margin:.4rem 0}
.login-panel form{margin:0;padding:1.4rem 1.6rem}
.login-panel form h2{margin-top:0;border:0}
.login-panel form label{display:flex;flex-direction:column;align-items:stretch;gap:.3rem;margin-bottom:.9rem;font-weight:bold}
.login-panel form input{width:100%}.login-panel form button{width:100%;margin-top:.4rem}
.login-panel .err{margin-top:0}
`;

/** A stored letter, printable on A4. */
export const letterCss = `
body{font-family:"Noto Serif CJK SC","Songti SC",serif;margin:0;line-height:1.8;color:#000;background:#e9edf1}
.bar{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;font-size:.95rem;background:#0b4f8a;color:#fff;padding:.6rem 1.5rem;display:flex;gap:.8rem;align-items:center;flex-wrap:wrap}
.bar a{color:#fff}.bar :focus-visible{outline:3px solid #ffd666;outline-offset:2px}
.bar button{font:inherit;background:#fff;color:#0b4f8a;border:1px solid #fff;border-radius:4px;padding:.2rem .9rem;font-weight:bold;cursor:pointer}.bar button:hover{background:#eaf2fb}
article.letter{max-width:800px;margin:1.5rem auto 3rem;background:#fff;padding:3rem 3.5rem;box-shadow:0 1px 4px rgba(0,0,0,.15)}
@media print{.bar{display:none}body{margin:0;background:#fff}article.letter{max-width:none;margin:0;padding:0;box-shadow:none}@page{size:A4;margin:2.5cm 2cm}}
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
// A table too wide for the window scrolls in its own box; keyboard users reach that box with Tab.
// A cell holding only a number aligns right, and so does the heading of a column of them.
var NUMBER = /^\\s*[-+]?[\\d,.]+%?\\s*$/;
function finishTables() {
  document.querySelectorAll('.table-wrap').forEach(function (w) {
    if (w.scrollWidth > w.clientWidth + 1 || w.scrollHeight > w.clientHeight + 1) w.setAttribute('tabindex', '0');
    else w.removeAttribute('tabindex');
  });
  document.querySelectorAll('table').forEach(function (t) {
    var rows = t.tBodies.length ? t.tBodies[0].rows : [];
    var head = t.tHead && t.tHead.rows[0];
    for (var r = 0; r < rows.length; r++)
      for (var c = 0; c < rows[r].cells.length; c++)
        if (NUMBER.test(rows[r].cells[c].textContent)) rows[r].cells[c].classList.add('num');
    if (!head || !rows.length) return;
    for (var h = 0; h < head.cells.length; h++) {
      var all = true;
      for (var k = 0; k < rows.length && all; k++) all = !!rows[k].cells[h] && rows[k].cells[h].classList.contains('num');
      if (all) head.cells[h].classList.add('num');
    }
  });
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', finishTables);
else finishTables();
window.addEventListener('resize', finishTables);
`;

export const assets: Record<string, { type: string; body: string }> = {
  'lantian.css': { type: 'text/css; charset=utf-8', body: appCss + scoreboardCss },
  'letter.css': { type: 'text/css; charset=utf-8', body: letterCss },
  'lantian.js': { type: 'text/javascript; charset=utf-8', body: appJs },
};
