// The HTTP API and the pages' forms on a real dev server and worker: every role against every
// endpoint, an assignee reaching for another organisation's obligation (404), a supervisor
// trying to change anything (403), sessions forged, expired or without CSRF, and each way an
// upload is refused.
import fs from 'node:fs';
import path from 'node:path';
import { submitEvidence } from '../workflows/api';
import { call, enc, login, oid, startWebEnv, upload, type WebEnv } from './support/web';
import { toCsv } from '../web/api';
import { UserStore } from '../auth/users';
import { dataPaths } from '../config/env';
import { currentSeason } from '../domain/season';

let w: WebEnv;
const api = (p: string) => `${w.url}/api${p}`;
const as = (name: string) => w.tokens[name];

const sjzBoilers = oid('coal-boilers', '130100');
const sjzVoc = oid('voc-bypass', '130100');
const tsBoilers = oid('coal-boilers', '130200');
const pdf = (text: string) => Buffer.from(`%PDF-1.7\n${text}\n%%EOF\n`);

beforeAll(async () => {
  w = await startWebEnv({ LANTIAN_UPLOAD_MAX_BYTES: String(64 * 1024) });
  const launched = await call(api('/campaigns/drill/launch'), {
    method: 'POST',
    token: as('office1'),
    json: { season: 2030 },
  });
  expect(launched.status).toBe(200);
  expect(launched.body.started).toHaveLength(15);
  await w.web.deps.index.refresh();
});
afterAll(async () => {
  await w?.teardown();
});

test('without a user nothing answers but the login page and the API document', async () => {
  expect((await call(api('/obligations'))).status).toBe(401);
  expect((await call(api('/obligations'), { token: 'lt_AAAAAAAA_forged' })).body).toMatchObject({
    error: 'token_invalid',
    message: 'API 令牌无效，或该用户已停用。',
  });
  const page = await call(`${w.url}/inbox`);
  expect(page.status).toBe(303);
  expect(page.headers.get('location')).toBe('/login');
  const docs = await call(`${w.url}/docs/json`);
  expect(docs.status).toBe(200);
  expect(docs.body.openapi).toMatch(/^3\./);
  // Request schemas are the Update schemas of the workflow, turned into JSON Schema.
  const reviewBody =
    docs.body.paths['/api/obligations/{id}/evidence/{evidenceId}/review'].post.requestBody.content['application/json']
      .schema;
  expect(reviewBody.properties.decision.enum).toEqual(['accept', 'reject']);
  expect(Object.keys(docs.body.paths)).toEqual(
    expect.arrayContaining([
      '/api/obligations',
      '/api/obligations/{id}/evidence',
      '/api/scoreboard',
      '/api/campaigns/{id}/launch',
    ]),
  );
});

test('reads: an assignee sees only its own organisation; another organisation’s obligation is not found', async () => {
  const all = await call(api('/obligations?campaign=drill'), { token: as('office1') });
  expect(all.body.items).toHaveLength(15);
  expect((await call(api('/obligations?campaign=drill'), { token: as('super1') })).body.items).toHaveLength(15);
  const mine = await call(api('/obligations?campaign=drill'), { token: as('sjz') });
  expect(mine.body.items.map((r: { workflowId: string }) => r.workflowId).sort()).toEqual([sjzBoilers, sjzVoc]);
  // Asking for another organisation in the filter changes nothing.
  expect(
    (await call(api('/obligations?assignee=130200'), { token: as('sjz') })).body.items.every(
      (r: { assignee: string }) => r.assignee === '130100',
    ),
  ).toBe(true);

  for (const who of ['office1', 'super1', 'sjz'])
    expect({ who, status: (await call(api(`/obligations/${enc(sjzBoilers)}`), { token: as(who) })).status }).toEqual({
      who,
      status: 200,
    });
  const other = await call(api(`/obligations/${enc(sjzBoilers)}`), { token: as('tangshan') });
  expect(other).toMatchObject({ status: 404, body: { error: 'obligation_not_found' } });
  // The workflow ID is no part of what a person reads.
  expect(other.body.message).not.toContain(sjzBoilers);
  // …the same answer as for an id that does not exist, so ids are not confirmed.
  expect(
    (await call(api(`/obligations/${enc('lantian:drill:2030:nothing:130200')}`), { token: as('tangshan') })).status,
  ).toBe(404);
  expect((await call(`${w.url}/obligations/${enc(sjzBoilers)}`, { token: as('tangshan') })).status).toBe(404);
  // Real notice keys run past 100 characters (lantian:jjj-fenwei-2020-2021:2025:chp-radius-coal-boilers-closure:110000#escalation:3-public-interview):
  // a letter's link is answered (here: no letter stored yet), never refused as too long.
  const longKey = `${sjzBoilers}#escalation:3-public-interview${'-'.repeat(80)}`;
  expect((await call(`${w.url}/letters/${enc(longKey)}`, { token: as('office1') })).status).toBe(404);

  for (const [who, status] of [
    ['office1', 200],
    ['super1', 200],
    ['sjz', 403],
  ] as const) {
    expect({
      who,
      scoreboard: (await call(api('/scoreboard?campaign=drill'), { token: as(who) })).status,
      campaigns: (await call(api('/campaigns'), { token: as(who) })).status,
    }).toEqual({ who, scoreboard: status, campaigns: status });
  }
  expect((await call(api('/scoreboard?campaign=drill'), { token: as('sjz') })).body).toEqual({
    error: 'forbidden_role',
    message: '责任单位用户无权查看记分板。',
  });
  const csv = await call(api('/obligations.csv?campaign=drill'), { token: as('super1') });
  expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
  const lines = csv.text.trim().split('\r\n');
  expect(lines).toHaveLength(16);
  // Chinese headers; the organisation's name beside its code, the obligation's title beside its id.
  // (fetch's text() drops the byte-order mark the file starts with.)
  expect(lines[0]).toBe(
    '"任务编号","行动方案代码","行动方案","秋冬季","任务代码","任务","责任单位代码","责任单位","省份代码","时段","状态","督办级别","截止时间（北京时间）","剩余天数"',
  );
  expect(csv.text).toContain('"130100","石家庄市"');
  expect(csv.text).toContain('"2030–2031年秋冬季"');
  expect(csv.text).toMatch(/"(进行中|待审核|已逾期|按期完成|逾期完成|已豁免|未完成（已关闭）)"/);
  expect(csv.text).not.toMatch(/"(open|overdue|submitted|met|waived)"/);
  // Deadlines in Beijing time: the end of the due date.
  expect(csv.text).toMatch(/"\d{4}-\d{2}-\d{2} 23:59"/);
  expect(csv.text).not.toMatch(/Z"/);
});

test('writes: a supervisor changes nothing, an assignee acts only on its own, the office reviews, extends and waives', async () => {
  const evidence = (who: string, id: string, name = 'list.pdf', content = pdf(`boilers ${who} ${id}`)) =>
    call(api(`/obligations/${enc(id)}/evidence`), {
      method: 'POST',
      token: as(who),
      body: upload({ quantity: '12', note: '已拆除' }, { name, content }),
    });

  // Evidence: only the obligation's own assignee.
  expect(await evidence('super1', sjzBoilers)).toMatchObject({
    status: 403,
    body: { error: 'forbidden_role', message: '监督用户无权提交佐证材料。' },
  });
  expect((await evidence('office1', sjzBoilers)).status).toBe(403);
  // Refused before the file is read: whose it is comes from the app's copy of visibility, and an
  // id the app does not know is asked of Temporal (which knows no such workflow either).
  expect((await evidence('tangshan', sjzBoilers)).status).toBe(404);
  expect((await evidence('tangshan', 'lantian:drill:2030:nothing:130200')).status).toBe(404);
  expect(
    fs.existsSync(path.join(w.deps.dir, 'evidence'))
      ? fs.readdirSync(path.join(w.deps.dir, 'evidence')).filter((f) => f !== 'tmp')
      : [],
  ).toEqual([]);
  // A counted obligation needs the quantity: the same answer whether or not the app's copy knew it.
  const noQuantity = await call(api(`/obligations/${enc(sjzBoilers)}/evidence`), {
    method: 'POST',
    token: as('sjz'),
    body: upload({ note: '缺数量' }, { name: 'n.pdf', content: pdf('no quantity') }),
  });
  expect(noQuantity).toMatchObject({
    status: 422,
    body: { error: 'evidence_quantity_required', message: '材料未接收：该任务按台计数，请填写已完成数量。' },
  });
  const ok = await evidence('sjz', sjzBoilers);
  expect(ok.status).toBe(200);
  expect(ok.body).toMatchObject({
    fileName: 'list.pdf',
    mediaType: 'application/pdf',
    receipt: { evidenceId: 'E1', state: 'pending', obligation: sjzBoilers },
  });
  expect(ok.body.receipt.sha256).toMatch(/^[0-9a-f]{64}$/);
  // The answer does not wait for the app's copy of the obligation, but the next read sees the change.
  const listed = await call(api(`/obligations?assignee=130100`), { token: as('sjz') });
  expect(listed.body.items.find((r: { workflowId: string }) => r.workflowId === sjzBoilers)).toMatchObject({
    status: 'submitted',
  });

  // Review: office only; the supervisor is forbidden, the other city does not see it.
  const review = (who: string, decision: string, reason?: string) =>
    call(api(`/obligations/${enc(sjzBoilers)}/evidence/E1/review`), {
      method: 'POST',
      token: as(who),
      json: { decision, ...(reason ? { reason } : {}) },
    });
  expect((await review('super1', 'accept')).status).toBe(403);
  expect((await review('sjz', 'accept')).status).toBe(403);
  expect((await review('tangshan', 'accept')).status).toBe(404);
  expect((await review('office1', 'maybe')).status).toBe(400);
  const noReason = await review('office1', 'reject');
  expect(noReason).toMatchObject({
    status: 409,
    body: { error: 'rejection_needs_reason', message: '退回材料须填写理由。' },
  });
  expect((await review('office1', 'accept', '核实无误')).body).toMatchObject({
    state: 'accepted',
    reviewedBy: { role: 'office', id: 'office1' },
  });

  // Extend and waive.
  const extend = (who: string, id: string) =>
    call(api(`/obligations/${enc(id)}/extend`), {
      method: 'POST',
      token: as(who),
      json: { dueDate: '2031-02-28', reason: '设备采购延迟' },
    });
  const waive = (who: string, id: string) =>
    call(api(`/obligations/${enc(id)}/waive`), { method: 'POST', token: as(who), json: { reason: '企业已关停' } });
  expect((await extend('super1', tsBoilers)).status).toBe(403);
  expect((await extend('tangshan', tsBoilers)).status).toBe(403);
  expect((await extend('sjz', tsBoilers)).status).toBe(404);
  // A date that does not exist is a bad request, with the field named, not a server error.
  expect(
    await call(api(`/obligations/${enc(tsBoilers)}/extend`), {
      method: 'POST',
      token: as('office1'),
      json: { dueDate: '2031-02-30', reason: 'x' },
    }),
  ).toMatchObject({ status: 400, body: { error: 'invalid_field', message: expect.stringMatching(/dueDate/) } });
  expect(await extend('office1', tsBoilers)).toMatchObject({ status: 200, body: { dueDate: '2031-02-28' } });
  // A date entered wrong is corrected, earlier too; past the next season it needs confirming.
  const correct = (who: string, dueDate: string, confirmed?: boolean) =>
    call(api(`/obligations/${enc(tsBoilers)}/correct-due-date`), {
      method: 'POST',
      token: as(who),
      json: { dueDate, reason: '年份录入错误', ...(confirmed ? { confirmed } : {}) },
    });
  expect((await correct('tangshan', '2031-01-20')).status).toBe(403);
  expect(await correct('office1', '2032-06-30')).toMatchObject({
    status: 409,
    body: { error: 'due_date_beyond_horizon', message: expect.stringMatching(/确认超出下一秋冬季/) },
  });
  expect(await correct('office1', '2031-01-20')).toMatchObject({ status: 200, body: { dueDate: '2031-01-20' } });
  // 签收 is the addressed organisation's: another's is not found, the office may not, an unknown letter is refused.
  const acknowledge = (who: string, notice: string) =>
    call(api(`/obligations/${enc(tsBoilers)}/acknowledge`), { method: 'POST', token: as(who), json: { notice } });
  expect((await acknowledge('sjz', `${tsBoilers}#escalation:1-urging`)).status).toBe(404);
  expect((await acknowledge('office1', `${tsBoilers}#escalation:1-urging`)).status).toBe(403);
  expect(await acknowledge('tangshan', `${tsBoilers}#escalation:1-urging`)).toMatchObject({
    status: 409,
    body: { error: 'letter_not_found' },
  });
  expect((await waive('super1', sjzVoc)).status).toBe(403);
  expect((await waive('sjz', sjzVoc)).status).toBe(403);
  expect((await waive('tangshan', sjzVoc)).status).toBe(404);
  expect(
    (await call(api(`/obligations/${enc(sjzVoc)}/waive`), { method: 'POST', token: as('office1'), json: {} })).status,
  ).toBe(400);
  expect(await waive('office1', sjzVoc)).toMatchObject({ status: 200, body: { status: 'waived' } });
  const again = await waive('office1', sjzVoc);
  expect(again).toMatchObject({
    status: 409,
    body: {
      error: expect.stringMatching(/^obligation_closed/),
      message: expect.stringMatching(/任务已关闭（已豁免）/),
    },
  });
  expect(again.body.message).not.toMatch(/obligation show/);

  // Launch: office only.
  for (const who of ['super1', 'sjz'])
    expect(
      (await call(api('/campaigns/drill/launch'), { method: 'POST', token: as(who), json: { season: 2030 } })).status,
    ).toBe(403);
  expect(
    (await call(api('/campaigns/drill/launch'), { method: 'POST', token: as('office1'), json: { season: 2030 } })).body,
  ).toMatchObject({ started: [], total: 15 });
  // A season that has ended is launched only when the office says so: its obligations would
  // close at once and send their late letters now. (Season 2025 of the drill ended 2026-03-31.)
  const past = await call(api('/campaigns/drill/launch'), {
    method: 'POST',
    token: as('office1'),
    json: { season: 2025 },
  });
  expect(past).toMatchObject({
    status: 409,
    body: {
      error: 'season_ended',
      message: expect.stringMatching(/^2025–2026年秋冬季已于 2026-03-31 结束；.*allowPast/),
    },
  });
  // Said so, it is planned, and here refused for the calendar (this test's covers 2026–2032).
  const allowed = await call(api('/campaigns/drill/launch'), {
    method: 'POST',
    token: as('office1'),
    json: { season: 2025, allowPast: true },
  });
  expect(allowed).toMatchObject({
    status: 409,
    body: {
      error: 'season_calendar',
      message: expect.stringMatching(/节假日安排尚未收录.*provisionalCalendar/),
      details: [expect.stringMatching(/does not cover 2025/)],
    },
  });

  // Every action is on the timeline with its actor.
  const rec = (await call(api(`/obligations/${enc(sjzBoilers)}`), { token: as('super1') })).body;
  expect(rec.status).toBe('met');
  expect(
    rec.timeline
      .filter((e: { type: string }) => e.type.startsWith('evidence-'))
      .map((e: { type: string; actor: { id: string } }) => [e.type, e.actor.id]),
  ).toEqual([
    ['evidence-submitted', 'sjz'],
    ['evidence-accepted', 'office1'],
  ]);
  const ts = (await call(api(`/obligations/${enc(tsBoilers)}`), { token: as('tangshan') })).body;
  expect(ts.timeline.slice(-2)).toMatchObject([
    { type: 'extended', actor: { role: 'office', id: 'office1' }, reason: '设备采购延迟', dueDate: '2031-02-28' },
    {
      type: 'due-date-corrected',
      actor: { role: 'office', id: 'office1' },
      reason: '年份录入错误',
      dueDate: '2031-01-20',
    },
  ]);

  // The scoreboard counts it at once (the read model is patched from the workflow's record).
  const board = (await call(api('/scoreboard?campaign=drill'), { token: as('super1') })).body.rows;
  expect(board.find((r: { org: string }) => r.org === '130100')).toMatchObject({
    name: '石家庄市',
    total: 2,
    metOnTime: 1,
    waived: 1,
    open: 0,
  });
});

test('the workflow validators check the actor too: a bug in the API could not let one city act for another', async () => {
  const h = w.env.client.workflow.getHandle(tsBoilers);
  const arg = { sha256: 'a'.repeat(64), size: 10, fileName: 'x.pdf', mediaType: 'application/pdf', quantity: 1 };
  await expect(
    h.executeUpdate(submitEvidence, { args: [{ ...arg, actor: { role: 'assignee', id: 'sjz', org: '130100' } }] }),
  ).rejects.toThrow();
  await expect(
    h.executeUpdate(submitEvidence, { args: [{ ...arg, actor: { role: 'supervisor', id: 'super1' } }] }),
  ).rejects.toThrow();
});

test('uploads refused: too large, wrong type, a path in the name, empty, no file, the same file twice — each says why, none is stored', async () => {
  const id = tsBoilers;
  const send = (file: { name: string; content: Buffer | string }) =>
    call(api(`/obligations/${enc(id)}/evidence`), {
      method: 'POST',
      token: as('tangshan'),
      body: upload({ quantity: '3' }, file),
    });
  const store = path.join(w.deps.dir, 'evidence');
  const blobs = () =>
    fs.existsSync(store)
      ? fs.readdirSync(store, { recursive: true }).filter((f) => /[0-9a-f]{64}$/.test(String(f))).length
      : 0;
  const before = blobs();

  const big = Buffer.concat([pdf('big'), Buffer.alloc(64 * 1024)]);
  expect(await send({ name: 'big.pdf', content: big })).toMatchObject({
    status: 413,
    body: { error: 'evidence_too_large', message: '材料未接收：文件超过大小限制 0.1 MB（65536 字节）。' },
  });
  expect(
    await send({ name: 'setup.pdf', content: Buffer.concat([Buffer.from('MZ\x90\x00'), Buffer.alloc(100)]) }),
  ).toMatchObject({
    status: 422,
    body: { error: 'evidence_file_type', message: expect.stringMatching(/Windows 可执行程序/) },
  });
  expect(await send({ name: 'notes.txt', content: 'just some words' })).toMatchObject({
    status: 422,
    body: { error: 'evidence_file_type', message: expect.stringMatching(/文本仅接受 \.csv 文件/) },
  });
  expect(await send({ name: '../../etc/passwd.pdf', content: pdf('traversal') })).toMatchObject({
    status: 422,
    body: { error: 'evidence_path_in_name', message: expect.stringMatching(/含有路径/) },
  });
  expect(await send({ name: '..\\..\\boot.pdf', content: pdf('traversal2') })).toMatchObject({
    status: 422,
    body: { error: 'evidence_path_in_name', message: expect.stringMatching(/含有路径/) },
  });
  expect(await send({ name: 'empty.pdf', content: '' })).toMatchObject({
    status: 422,
    body: { error: 'evidence_empty', message: '材料未接收：文件为空。' },
  });
  expect(
    await call(api(`/obligations/${enc(id)}/evidence`), {
      method: 'POST',
      token: as('tangshan'),
      body: upload({ quantity: '3' }),
    }),
  ).toMatchObject({ status: 422, body: { error: 'evidence_no_file' } });
  expect(blobs()).toBe(before);
  expect(fs.readdirSync(path.join(store, 'tmp'))).toEqual([]);

  // Accepted types by content: a CSV, a PNG; the same file twice is refused by the workflow.
  const csv = await send({ name: '清单.csv', content: '序号,锅炉编号,拆除日期\n1,TS-001,2030-11-02\n' });
  expect(csv).toMatchObject({ status: 200, body: { fileName: '清单.csv', mediaType: 'text/csv' } });
  const again = await send({ name: 'copy.csv', content: '序号,锅炉编号,拆除日期\n1,TS-001,2030-11-02\n' });
  expect(again).toMatchObject({
    status: 409,
    body: {
      error: 'evidence_same_file',
      message: expect.stringMatching(/^同一文件（sha256 [0-9a-f]{12}…）已提交过。$/),
    },
  });
  const png = await send({
    name: 'photo.png',
    content: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(5000, 7)]),
  });
  expect(png).toMatchObject({ status: 200, body: { mediaType: 'image/png' } });
  expect(blobs()).toBe(before + 2);
});

test('sessions: the login form, CSRF on every change, forged and expired cookies, failed logins answered at once', async () => {
  const s = await login(w.url, 'office1', w.passwords.office1);
  const inbox = await call(`${w.url}/review`, { headers: { cookie: s.cookie } });
  expect(inbox.status).toBe(200);
  expect(inbox.text).toContain('审核队列');
  // Lists name each obligation's season, and filter by it.
  const list = await call(`${w.url}/obligations?season=2030`, { headers: { cookie: s.cookie } });
  expect(list.text).toContain('演练秋冬季攻坚行动方案 · 2030–2031年秋冬季');
  expect(list.text).toMatch(/<option value="2030" selected>2030–2031年秋冬季<\/option>/);
  expect((await call(`${w.url}/obligations?season=2029`, { headers: { cookie: s.cookie } })).text).toContain(
    '没有符合条件的任务',
  );
  // A quantitative obligation's page shows its pace (序时进度) beside the target.
  const page = await call(`${w.url}/obligations/${encodeURIComponent(sjzBoilers)}`, { headers: { cookie: s.cookie } });
  expect(page.text).toMatch(/序时进度：<span class="pace pace-(green|yellow|red)">/);

  // A change without the CSRF token is refused; with it, it goes through.
  const form = (body: Record<string, string>) => ({
    method: 'POST',
    headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body).toString(),
  });
  const target = `${w.url}/obligations/${enc(oid('monthly-report', '110000') + ':2030-10')}/extend`;
  expect((await call(target, form({ dueDate: '2031-01-20', reason: '数据核对' }))).status).toBe(403);
  expect((await call(target, form({ dueDate: '2031-01-20', reason: '数据核对', _csrf: 'x'.repeat(43) }))).status).toBe(
    403,
  );
  const okExtend = await call(target, form({ dueDate: '2031-01-20', reason: '数据核对', _csrf: s.csrf }));
  // The launch form offers the seasons the calendar can plan, marks those that have ended, and
  // launches one of them only with the box ticked.
  const campaigns = await call(`${w.url}/campaigns`, { headers: { cookie: s.cookie } });
  // The seasons of the window around the one under way (that one selected; here it reaches the
  // drill's 2030), newest first, and no other.
  const options = [...campaigns.text.matchAll(/<option value="(\d+)"( selected)?>([^<]*)<\/option>/g)];
  const current = currentSeason();
  const to = Math.max(current + 1, 2030);
  expect(options.map((m) => Number(m[1]))).toEqual(Array.from({ length: to - (current - 2) + 1 }, (_, i) => to - i));
  expect(options.filter((m) => m[2]).map((m) => Number(m[1]))).toEqual([current]);
  for (const m of options) expect(m[3]).toMatch(/^\d{4}–\d{4}(（已下达）)?(（已结束）)?(（暂定日历）)?$/);
  expect(options.find((m) => m[1] === '2030')?.[3]).toMatch(/（已下达）/);
  expect(campaigns.text).toMatch(/name="allowPast"/);
  const launchForm = (body: Record<string, string>) =>
    call(`${w.url}/campaigns/launch`, form({ campaignId: 'drill', _csrf: s.csrf, ...body }));
  expect(await launchForm({ season: '2025' })).toMatchObject({ status: 409 });
  // Post/Redirect/Get: the report is on the page the redirect opens.
  const relaunched = await launchForm({ season: '2030' });
  expect(relaunched.status).toBe(303);
  expect((await call(`${w.url}${relaunched.headers.get('location')}`, { headers: { cookie: s.cookie } })).text).toMatch(
    /新下达 0 项/,
  );
  expect(okExtend.status).toBe(303);
  expect(decodeURIComponent(okExtend.headers.get('location')!)).toContain('截止日期已延至 2031-01-20');
  // The JSON API with a cookie needs the token as a header.
  const apiWaive = `${w.url}/api/obligations/${enc(oid('monthly-report', '110000') + ':2030-11')}/waive`;
  expect((await call(apiWaive, { method: 'POST', headers: { cookie: s.cookie }, json: { reason: 'x' } })).status).toBe(
    403,
  );
  // An upload form without the token stores nothing.
  const c = await login(w.url, 'tangshan', w.passwords.tangshan);
  const noCsrf = await call(`${w.url}/obligations/${enc(tsBoilers)}/evidence`, {
    method: 'POST',
    headers: { cookie: c.cookie },
    body: upload({ quantity: '1' }, { name: 'a.pdf', content: pdf('no csrf') }),
  });
  expect(noCsrf.status).toBe(403);
  expect(noCsrf.text).toContain('表单已失效（CSRF 令牌缺失或无效）');

  // Forged: a valid-looking cookie with another signature.
  const [name, value] = s.cookie.split('=');
  const forged = `${name}=${decodeURIComponent(value).split('.')[0]}.${'A'.repeat(43)}`;
  expect((await call(`${w.url}/api/me`, { headers: { cookie: forged } })).body).toMatchObject({
    error: 'session_invalid',
  });
  expect((await call(`${w.url}/review`, { headers: { cookie: forged } })).headers.get('location')).toMatch(
    /^\/login\?reason=/,
  );
  // Expired.
  w.web.deps.users.expireSession(s.sessionId);
  expect((await call(`${w.url}/api/me`, { headers: { cookie: s.cookie } })).body).toMatchObject({
    error: 'session_expired',
  });
  // Disabled user: session and token stop working at once.
  const t = await login(w.url, 'super1', w.passwords.super1);
  w.web.deps.users.disable('super1');
  expect((await call(`${w.url}/api/me`, { headers: { cookie: t.cookie } })).status).toBe(401);
  expect((await call(`${w.url}/api/me`, { token: as('super1') })).status).toBe(401);
  // Enabled again with new secrets: the old token stays dead, the new password and token work.
  w.web.deps.users.enable('super1');
  const fresh = w.web.deps.users.reset('super1');
  expect((await call(`${w.url}/api/me`, { token: as('super1') })).status).toBe(401);
  expect((await call(`${w.url}/api/me`, { token: fresh.token })).body).toMatchObject({
    name: 'super1',
    role: 'supervisor',
  });
  expect((await login(w.url, 'super1', fresh.password)).cookie).toMatch(/^lantian_session=/);
  expect(() => w.web.deps.users.reset('nobody')).toThrow('no user nobody');
  // A reset from the CLI (another process, the same database) ends a token this app had cached.
  const other = w.web.deps.users.add('resetme', 'supervisor');
  expect((await call(`${w.url}/api/me`, { token: other.token })).status).toBe(200);
  const cli = new UserStore(dataPaths(w.deps.dir).usersDb);
  cli.reset('resetme');
  cli.close();
  expect((await call(`${w.url}/api/me`, { token: other.token })).status).toBe(401);

  // Cookie attributes.
  const form2 = await fetch(`${w.url}/login`);
  const loginCookie = form2.headers.getSetCookie()[0].split(';')[0];
  const token = /name="_csrf" value="([^"]+)"/.exec(await form2.text())![1];
  const r = await fetch(`${w.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name: 'sjz', password: w.passwords.sjz, _csrf: token }).toString(),
  });
  const cookie = r.headers.getSetCookie().find((x) => x.startsWith('lantian_session='))!;
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  expect(cookie).toMatch(/Expires=/);
  // A login without the form's token does not log in.
  const noToken = await fetch(`${w.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name: 'sjz', password: w.passwords.sjz }).toString(),
  });
  expect(noToken.headers.getSetCookie().some((x) => x.startsWith('lantian_session='))).toBe(false);

  // Failed logins are answered at once (no sleep per request; test/web-security.test.ts has the lock).
  const attempt = async () => {
    const f = await fetch(`${w.url}/login`);
    const lc = f.headers.getSetCookie()[0].split(';')[0];
    const tk = /name="_csrf" value="([^"]+)"/.exec(await f.text())![1];
    const t0 = performance.now();
    const res = await fetch(`${w.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: lc, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'office1', password: 'wrong', _csrf: tk }).toString(),
    });
    return { ms: performance.now() - t0, location: decodeURIComponent(res.headers.get('location') ?? '') };
  };
  const first = await attempt();
  await attempt();
  const third = await attempt();
  expect(first.location).toContain('用户名或密码错误');
  expect(third.location).toContain('用户名或密码错误');
  expect(first.ms).toBeLessThan(500);
  expect(third.ms).toBeLessThan(500);
});

test('the CSV neutralises a cell that would start a spreadsheet formula, but leaves a negative number a number', () => {
  const csv = toCsv(
    [
      {
        workflowId: '=HYPERLINK("x")',
        execution: 'Running',
        campaign: 'drill',
        status: 'overdue',
        level: 1,
        deadline: '2026-09-01T15:59:59.999Z',
        daysLeft: -83,
      },
    ],
    { org: () => '石家庄市', campaign: () => undefined, obligation: () => undefined },
  );
  const row = csv.trim().split('\r\n')[1];
  expect(row).toContain(`"'=HYPERLINK(""x"")"`);
  expect(row).toContain('"已逾期","1","2026-09-01 23:59","-83"');
});
