// Letters in 公文 form (GB/T 9704-2012): the warning letter to 石家庄市人民政府 that the notice
// pipeline issues on the shipped policies, read back as a person's tools read it: its text with
// poppler's pdftotext (every element in order), its geometry with pdftotext -bbox (A4, the 版心 at
// 37 mm from the top and 28 mm from the left, 156 × 225 mm, 22 lines), its colours with pdftoppm,
// the e-mail that carries it (a real SMTP server), and the same bytes on every rendering.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import { createNoticeActivities } from '../activities/notices';
import { loadCalendar } from '../domain/calendar';
import { computeSchedule } from '../domain/schedule';
import { loadPolicies } from '../planner/load';
import { resolveCampaign } from '../planner/resolve';
import { actTemplates, sampleActContext } from '../notices/assessment-letters';
import { sampleNoticeContext, type NoticeRequest } from '../notices/context';
import { readLetter, sha256Hex, type StoredLetter } from '../storage/letters';
import { messageIdFor, smtpMailer } from '../notices/mailer';
import { officialLetter, renderLetterPdf, LAYOUT } from '../notices/pdf';
import { checkTemplate, renderNotice } from '../notices/render';
import { stepRequest } from '../cli/commands/notice';
import { startTestSmtp, type TestSmtp } from './support/smtp';
import { tempDir, testDeps } from './support/temporal';

const repo = path.join(__dirname, '..');
const artifacts = path.join(repo, 'test-artifacts', 'letters');
const mm = (pt: number) => (pt * 25.4) / 72;
const PITCH_MM = 225 / 22;
/** Noto CJK: poppler's word box runs from the hhea ascent (1.151 em) to the descent (0.286 em); the em box from 0.88 above the baseline to 0.12 below. */
const emBox = (w: Word) => {
  const size = (w.yMax - w.yMin) / 1.437;
  const top = w.yMin + (1.151 - 0.88) * size;
  return { size, top: mm(top), bottom: mm(top + size), centre: mm(top + size / 2) };
};

const policies = loadPolicies(path.join(repo, 'policies'));
const calendar = loadCalendar();
const row = resolveCampaign(policies, 'jjj-2019-2020', calendar, 2024).find(
  (r) => r.obligationId === 'coal-boilers-35t' && r.assignee === '130100',
)!;
const schedule = computeSchedule(row.input, calendar);

const request = (step: string) =>
  stepRequest(
    row,
    schedule,
    schedule.entries.find((e) => (step === 'reminder' ? e.kind === 'reminder' : e.step?.kind === step))!,
  );

interface Word {
  text: string;
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}

function words(pdf: string): { width: number; height: number; words: Word[] }[] {
  const xml = execFileSync('pdftotext', ['-bbox', '-enc', 'UTF-8', pdf, '-'], { encoding: 'utf8' });
  return xml
    .split('<page ')
    .slice(1)
    .map((page) => {
      const [, width, height] = /width="([\d.]+)" height="([\d.]+)"/.exec(page)!;
      const ws = [
        ...page.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g),
      ];
      return {
        width: Number(width),
        height: Number(height),
        words: ws.map((m) => ({ xMin: +m[1], yMin: +m[2], xMax: +m[3], yMax: +m[4], text: m[5] })),
      };
    });
}

/** Words on one line joined (a CJK line is one word; a line with spaces several). */
function lines(ws: Word[]): Word[] {
  const out: Word[] = [];
  for (const w of [...ws].sort((a, b) => a.yMin - b.yMin || a.xMin - b.xMin)) {
    const same = out.find((l) => Math.abs(l.yMin - w.yMin) < 1 && Math.abs(l.yMax - w.yMax) < 1);
    if (same)
      Object.assign(same, {
        text: `${same.text} ${w.text}`,
        xMin: Math.min(same.xMin, w.xMin),
        xMax: Math.max(same.xMax, w.xMax),
      });
    else out.push({ ...w });
  }
  return out;
}

let smtp: TestSmtp;
const received: ParsedMail[] = [];
let deps: ReturnType<typeof testDeps>;
let activities: ReturnType<typeof createNoticeActivities>;
let warning: NoticeRequest;
let stored: StoredLetter;
let pdfFile: string;

beforeAll(async () => {
  smtp = await startTestSmtp({ onMessage: (m) => received.push(m) });
  deps = {
    ...testDeps(calendar, policies, smtpMailer(smtp.url, tempDir('ledger'))),
    // The 文号 registry is a workflow (tested elsewhere): its 5th number of the year.
    documentNumbers: async () => 5,
  };
  activities = createNoticeActivities(deps);
  warning = request('warning-letter');
  await activities.sendNotice(warning);
  stored = readLetter(deps.lettersDir, warning.key)!;
  pdfFile = path.join(deps.lettersDir, stored.pdf!.file);
  fs.mkdirSync(artifacts, { recursive: true });
  fs.copyFileSync(pdfFile, path.join(artifacts, 'warning-letter-130100.pdf'));
  execFileSync('pdftoppm', ['-r', '80', '-png', '-f', '1', '-l', '1', pdfFile, path.join(artifacts, 'warning-letter')]);
});

afterAll(async () => {
  deps.mailer.close();
  await smtp.close();
});

test('the warning letter to 石家庄市人民政府 holds every element of a 公文, in order, in embedded subset Noto Serif CJK SC', () => {
  const text = execFileSync('pdftotext', ['-enc', 'UTF-8', pdfFile, '-'], { encoding: 'utf8' });
  const pages = text.split('\f').filter((p) => p.trim());
  const compact = (s: string) => s.replace(/\s+/g, '');
  const all = compact(text);
  const office = '京津冀及周边地区大气污染防治领导小组办公室';
  const elements = [
    ['发文机关标志', office],
    ['发文字号', '京津冀大气办〔2025〕5号'],
    ['标题', '关于石家庄市基本淘汰每小时35蒸吨以下燃煤锅炉逾期的预警通知函'],
    ['主送机关', '石家庄市人民政府：'],
    ['正文', '经调度，你市“基本淘汰每小时35蒸吨以下燃煤锅炉”任务（行动方案二（二）11）完成时限为2024年12月31日'],
    ['正文', '现予以预警。请你市高度重视'],
    ['发文机关署名', office],
    ['成文日期', '2025年2月5日'],
    ['抄送机关', '抄送：河北省大气污染防治领导小组办公室。'],
    ['印发机关和印发日期', `${office}2025年2月5日印发`],
  ];
  let at = -1;
  for (const [element, words] of elements) {
    const found = all.indexOf(words, at + 1);
    expect({ element, found: found > at }).toEqual({ element, found: true });
    at = found;
  }
  // The 文号 exactly once; copies name organisations, never addresses.
  expect(all.split('京津冀大气办〔2025〕5号')).toHaveLength(2);
  expect(all).not.toMatch(/@|placeholder/);
  // — 1 —, — 2 — at the foot of each page.
  expect(pages.map((p, i) => compact(p).endsWith(`—${i + 1}—`))).toEqual(pages.map(() => true));
  expect(pages).toHaveLength(2);

  const fonts = execFileSync('pdffonts', [pdfFile], { encoding: 'utf8' });
  expect(fonts).toMatch(/[A-Z]{6}\+NotoSerifCJKsc-Regular\s+CID Type 0C\s+Identity-H\s+yes yes yes/);
  expect(fonts).toMatch(/[A-Z]{6}\+NotoSerifCJKsc-Bold\s+CID Type 0C\s+Identity-H\s+yes yes yes/);
  expect(stored.pdf!.bytes).toBeLessThan(400_000);
});

test('A4, the 版心 at 37 mm from the top and 28 mm from the left, 156 × 225 mm, 22 lines of 28 characters at 16 pt, within 1 mm', () => {
  const pages = words(pdfFile);
  for (const p of pages) {
    expect(mm(p.width)).toBeCloseTo(210, 0);
    expect(mm(p.height)).toBeCloseTo(297, 0);
  }
  const [one, two] = pages.map((p) => lines(p.words));
  const near = (value: number, mmExpected: number) => expect(Math.abs(value - mmExpected)).toBeLessThanOrEqual(1);
  const find = (ls: Word[], start: string) => ls.find((l) => l.text.replace(/\s/g, '').startsWith(start))!;

  // 发文机关标志: its top edge 35 mm below the top of the 版心, centred.
  const head = find(one, '京津冀及周边');
  near(emBox(head).top, 37 + 35);
  near((mm(head.xMin) + mm(head.xMax)) / 2, 28 + 156 / 2);
  // 主送机关 flush left on the 版心's edge; 正文 at 16 pt within the 版心, full lines reaching its right edge.
  const addressee = find(one, '石家庄市人民政府');
  near(mm(addressee.xMin), 28);
  expect(emBox(addressee).size).toBeCloseTo(16, 0);
  const body = [...one, ...two].filter((l) => emBox(l).size > 15.5 && emBox(l).size < 16.5);
  for (const l of body) {
    expect(mm(l.xMin)).toBeGreaterThanOrEqual(28 - 1);
    expect(mm(l.xMax)).toBeLessThanOrEqual(28 + 156 + 1);
  }
  const full = body.filter((l) => /^[\u3000-\u9fff\uff00-\uffef“”]{28}$/.test(l.text));
  expect(full.length).toBeGreaterThan(0);
  for (const l of full) {
    near(mm(l.xMin), 28);
    near(mm(l.xMax), 28 + 156);
  }
  // 22 lines a page: the body's lines are 225/22 mm apart, on the page-2 grid from the 版心's top.
  const bodyOne = body.filter((l) => emBox(l).top > emBox(addressee).top - 0.1);
  for (let i = 1; i < bodyOne.length; i++)
    expect(emBox(bodyOne[i]).top - emBox(bodyOne[i - 1]).top).toBeCloseTo(PITCH_MM, 1);
  const firstTwo = two.filter((l) => emBox(l).size > 15.5 && emBox(l).size < 16.5)[0];
  near(emBox(firstTwo).centre, 37 + PITCH_MM / 2);
  // 版记 on the last line of the 版心 (its bottom 262 mm), 印发日期 one character in from the right.
  const issued = two.find((l) => l.text.endsWith('印发'))!;
  near(emBox(issued).centre, 37 + 225 - PITCH_MM / 2);
  near(mm(issued.xMax), 28 + 156 - mm(14));
  near(mm(issued.xMin), 28 + mm(14));
  // Page numbers 7 mm below the 版心: odd pages on the right, even on the left, one character in.
  const folio = (ls: Word[], n: number) => ls.find((l) => l.text.replace(/\s/g, '') === `—${n}—`)!;
  near(emBox(folio(one, 1)).top, 37 + 225 + 7);
  near(mm(folio(one, 1).xMax), 28 + 156 - mm(14));
  near(emBox(folio(two, 2)).top, 37 + 225 + 7);
  near(mm(folio(two, 2).xMin), 28 + mm(14));
  expect(LAYOUT.lines * LAYOUT.chars).toBe(22 * 28);
});

test('the letterhead and the separator line are red, the text black', () => {
  const base = path.join(tempDir('ppm'), 'p');
  execFileSync('pdftoppm', ['-r', '72', '-f', '1', '-l', '1', pdfFile, base]);
  const file = fs.readdirSync(path.dirname(base)).find((f) => f.endsWith('.ppm'))!;
  const ppm = fs.readFileSync(path.join(path.dirname(base), file));
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.toString('latin1', 0, 20))!;
  const [width, height] = [Number(header[1]), Number(header[2])];
  const px = (mmValue: number) => Math.round((mmValue * 72) / 25.4);
  /** Pixels between two heights (mm from the top): red ones, dark ones, and the red ones' horizontal extent (mm). */
  const colours = (fromMm: number, toMm: number) => {
    const seen = { red: 0, dark: 0, left: Infinity, right: -Infinity };
    for (let y = px(fromMm); y < px(toMm); y++)
      for (let x = 0; x < width; x++) {
        const i = header[0].length + (y * width + x) * 3;
        const [r, g, b] = [ppm[i], ppm[i + 1], ppm[i + 2]];
        if (r > 150 && g < 110 && b < 110) {
          seen.red++;
          seen.left = Math.min(seen.left, (x * 25.4) / 72);
          seen.right = Math.max(seen.right, ((x + 1) * 25.4) / 72);
        } else if (r < 110 && g < 110 && b < 110) seen.dark++;
      }
    return seen;
  };
  expect(height).toBe(px(297));
  const head = colours(70, 88);
  expect(head.red).toBeGreaterThan(1000);
  expect(head.dark).toBe(0);
  // The separator: a red line as wide as the 版心 (28 to 184 mm).
  const rule = colours(116, 124);
  expect(Math.abs(rule.left - 28)).toBeLessThanOrEqual(1);
  expect(Math.abs(rule.right - 184)).toBeLessThanOrEqual(1);
  const text = colours(130, 260);
  expect(text.red).toBe(0);
  expect(text.dark).toBeGreaterThan(1000);
});

test('the e-mail carries the PDF as an attachment, the same bytes as stored, under the Message-ID of the key', () => {
  expect(received).toHaveLength(1);
  const m = received[0];
  expect(m.messageId).toBe(messageIdFor(warning.key));
  expect(m.attachments).toHaveLength(1);
  const a = m.attachments[0];
  expect(a.contentType).toBe('application/pdf');
  expect(a.filename).toBe('京津冀大气办〔2025〕5号 关于石家庄市基本淘汰每小时35蒸吨以下燃煤锅炉逾期的预警通知函.pdf');
  expect(sha256Hex(a.content)).toBe(stored.pdf!.sha256);
  expect(stored.pdf).toMatchObject({ file: `pdf/${stored.pdf!.sha256}.pdf`, bytes: a.content.length });
  // The text part is still the letter.
  expect(m.text).toContain('石家庄市人民政府：');
});

test('made once: the same letter renders to the same bytes, a retry reuses or re-makes the identical file, a different one is refused', async () => {
  const rendered = renderNotice(deps.templatesDir, 'warning-letter', sampleNoticeContext('escalation'));
  const letter = officialLetter(rendered, { documentNumber: '示例〔2020〕1号', copies: ['示例省大气办'] });
  const meta = { key: 'k', issuedAt: Date.parse('2020-01-15T01:00:00Z') };
  const [a, b] = [await renderLetterPdf(letter, meta), await renderLetterPdf(letter, meta)];
  expect(a.equals(b)).toBe(true);
  // Characters no letter in this process has used yet measure the same, and number the fonts the same.
  const rare = { ...letter, body: ['龘靐齉爩，鱻麤。'] };
  const [c, d] = [await renderLetterPdf(rare, meta), await renderLetterPdf(rare, meta)];
  expect(c.equals(d)).toBe(true);
  // The creation date is the issue time, the file ID the key's.
  const info = execFileSync('pdfinfo', ['-isodates', '-'], { input: a, encoding: 'utf8' });
  expect(info).toMatch(/CreationDate:\s+2020-01-15T01:00:00Z/);
  const id = crypto.createHash('md5').update('k').digest('hex');
  expect(a.toString('latin1')).toContain(`/ID [<${id}> <${id}>]`);

  // A retried activity: the letter is stored, the PDF reused, nothing sent again.
  const again = await activities.sendNotice(warning);
  expect(again.messageId).toBe(messageIdFor(warning.key));
  expect(readLetter(deps.lettersDir, warning.key)!.pdf).toEqual(stored.pdf);
  expect(received).toHaveLength(1);
  // The file lost: rendered again from the same letter, the same bytes.
  fs.rmSync(pdfFile);
  await activities.sendNotice(warning);
  expect(sha256Hex(fs.readFileSync(pdfFile))).toBe(stored.pdf!.sha256);
  // Lost, and the letter would now render otherwise (here: its recorded digest is not this one's): refused.
  fs.rmSync(pdfFile);
  const file = path.join(
    deps.lettersDir,
    fs.readdirSync(deps.lettersDir).find((f) => f.endsWith('.json'))!,
  );
  fs.writeFileSync(file, JSON.stringify({ ...stored, pdf: { ...stored.pdf!, sha256: '0'.repeat(64) } }));
  await expect(activities.sendNotice(warning)).rejects.toMatchObject({
    type: 'LetterPdfChangedError',
    nonRetryable: true,
  });
});

test('every letter template lays out as a 公文 with a 关于……的…… title; a reminder has no PDF', async () => {
  const letters = [
    ...['urging', 'warning-letter', 'public-interview', 'accountability'].map((name) => ({
      dir: deps.templatesDir,
      name,
      context: sampleNoticeContext('escalation'),
    })),
    ...actTemplates.map((name) => ({
      dir: path.join(deps.templatesDir, 'assessment'),
      name,
      context: sampleActContext(name),
    })),
  ];
  for (const t of letters) {
    const letter = officialLetter(renderNotice(t.dir, t.name, t.context), { copies: [] });
    expect({ name: t.name, title: letter.title }).toEqual({
      name: t.name,
      title: expect.stringMatching(/^关于.+的?.*(通知|函)$/),
    });
    expect(letter.addressee).toMatch(/人民政府$/);
    expect(letter.date).toMatch(/^\d{4}年\d{1,2}月\d{1,2}日$/);
    expect(letter.body.length).toBeGreaterThan(0);
    const pdf = await renderLetterPdf(letter, { key: t.name, issuedAt: 0 });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  }
  // The title is checked when policies load, like the subject and the body; without one, the subject stands in.
  const dir = tempDir('title-template');
  fs.writeFileSync(
    path.join(dir, 't.hbs'),
    'subject: 【预警通知函】关于{{a}}的预警\ntitle: 关于{{a}}{{b}}的预警通知函\n---\n{{a}}\n',
  );
  expect(() => checkTemplate(dir, 't', { a: '甲' })).toThrow(/template t: variable b is not provided/);
  expect(renderNotice(dir, 't', { a: '甲', b: '乙' }).title).toBe('关于甲乙的预警通知函');
  fs.writeFileSync(
    path.join(dir, 'u.hbs'),
    'subject: 【预警通知函】关于{{a}}的预警\n---\n甲市人民政府：\n\n正文。\n\n办公室\n2031年1月15日\n',
  );
  expect(renderNotice(dir, 'u', { a: '甲' }).title).toBeUndefined();
  expect(officialLetter(renderNotice(dir, 'u', { a: '甲' }), { copies: [] }).title).toBe('关于甲的预警');

  const before = received.length;
  const reminder = request('reminder');
  await activities.sendNotice(reminder);
  expect(readLetter(deps.lettersDir, reminder.key)!.pdf).toBeUndefined();
  expect(received.slice(before).map((m) => m.attachments.length)).toEqual([0]);
});
