// Chinese everywhere a user reads: every page route the server registers, walked as each role,
// and a refusal of every kind, checked for an untranslated English sentence; each refusal also
// carries its stable snake_case code. (test/support/web.ts `call()` checks every refusal any
// test provokes the same way.)
import { registeredRoutes } from '../web/server';
import { message, messages, obligationHeaders, statusWord } from '../i18n/messages';
import { deliveryText, systemReason, timelineReason } from '../i18n/reasons';
import { englishSentence, pageText } from './support/language';
import { call, enc, login, oid, startWebEnv, upload, type Answer, type WebEnv } from './support/web';

const pdf = (text: string) => Buffer.from(`%PDF-1.4\n% ${text}\n%%EOF\n`);

describe('the detector of English sentences', () => {
  test('catches untranslated refusals and reasons', () => {
    for (const s of [
      'evidence refused: file type not accepted: a Windows executable',
      'an assignee may not read the scoreboard',
      '理由：evidence accepted by the office',
      '服务器已接收：written to the outbox (lantian-2030-1.eml)',
      'lantian:drill:2030:coal-boilers:130100: cannot waive: the obligation is closed (met)',
    ])
      expect({ s, found: englishSentence(s) }).toEqual({ s, found: expect.any(String) });
  });
  test('leaves names, codes, file names, acronyms and short labels alone', () => {
    for (const s of [
      'PDF、PNG、JPEG、GIF、WebP、Office 文档、CSV 和 ZIP',
      '已收到材料 E1：E1 report.pdf（application/pdf）',
      '任务编号 lantian:drill:2030:coal-boilers:130100 · 责任单位代码 130100',
      '请在请求头中发送 Authorization: Bearer <令牌>',
      '错误代码 evidence_file_type，见 https://example.org/docs/api-errors',
      '佐证材料须以 multipart/form-data 提交，文件放在字段 file 中。',
      '用户 office1 · API 令牌',
    ])
      expect({ s, found: englishSentence(s) }).toEqual({ s, found: undefined });
  });
});

describe('the catalogue', () => {
  test('every entry speaks Chinese in zh and says something in en; codes are snake_case', () => {
    const sample = new Proxy({} as Record<string, string | number>, {
      get: (_t, k) => (k === 'season' || k === 'limit' || k === 'n' || k === 'seconds' ? 2030 : `x${String(k)}`),
    });
    for (const [code, e] of Object.entries(messages)) {
      expect(code).toMatch(/^[a-z][a-z0-9_]*$/);
      const zh = (e.zh as (p: unknown) => string)(sample);
      const en = (e.en as (p: unknown) => string)(sample);
      expect({ code, chinese: /[\u4e00-\u9fff]/.test(zh) || /^x\w+$/.test(zh.trim()) }).toEqual({
        code,
        chinese: true,
      });
      expect({ code, english: englishSentence(zh.replace(/x\w+/g, '')) }).toEqual({ code, english: undefined });
      expect(en.length).toBeGreaterThan(0);
    }
  });
  test('timeline reasons: the app’s in Chinese whoever the actor, a person’s as typed', () => {
    expect(timelineReason({ type: 'met', reason: 'evidence accepted' })).toBe('材料审核通过');
    expect(timelineReason({ type: 'evidence-accepted', reason: 'checked on site' })).toBe('checked on site');
    expect(systemReason('the due date 2030-12-31 ended without accepted evidence')).toBe(
      '截止日期 2030-12-31 已过，尚无通过审核的材料',
    );
    expect(message('forbidden_role', { role: 'assignee', action: 'read the scoreboard' })).toBe(
      '责任单位用户无权查看记分板。',
    );
    expect(message('forbidden_role', { role: 'assignee', action: 'read the scoreboard' }, 'en')).toBe(
      'an assignee may not read the scoreboard',
    );
    // Delivery: the app's own words in Chinese, a mail server's reply as its own words.
    expect(deliveryText('written to the outbox (lantian-2030-1.eml)')).toEqual({
      said: '已写入发件箱（lantian-2030-1.eml）',
    });
    expect(deliveryText('nobody@ts.example.gov.cn: SMTP refused the notice (550): mailbox unavailable')).toEqual({
      said: 'nobody@ts.example.gov.cn：邮件服务器拒收（550）：mailbox unavailable',
    });
    expect(deliveryText('250 2.0.0 Ok: queued as 4B7A1')).toEqual({ verbatim: '250 2.0.0 Ok: queued as 4B7A1' });
    expect(obligationHeaders()).toContain('责任单位');
    expect(statusWord('overdue')).toBe('已逾期');
  });
});

describe('the running app', () => {
  let w: WebEnv;
  const api = (p: string) => `${w.url}/api${p}`;
  const as = (who: string) => w.tokens[who];
  const sjzBoilers = oid('coal-boilers', '130100');
  const sjzVoc = oid('voc-bypass', '130100');
  const tsBoilers = oid('coal-boilers', '130200');

  beforeAll(async () => {
    w = await startWebEnv();
    expect(
      (await call(api('/campaigns/drill/launch'), { method: 'POST', token: as('office1'), json: { season: 2030 } }))
        .status,
    ).toBe(200);
    await w.web.deps.index.refresh();
    // A record with something on every part of its page: evidence, its acceptance by the office
    // (which closes the obligation with a reason the app writes), a waiver with a typed reason.
    const sent = await call(api(`/obligations/${enc(sjzBoilers)}/evidence`), {
      method: 'POST',
      token: as('sjz'),
      body: upload({ quantity: '12', note: '已拆除' }, { name: 'E1 report.pdf', content: pdf('boilers') }),
    });
    expect(sent.status).toBe(200);
    const reviewed = await call(api(`/obligations/${enc(sjzBoilers)}/evidence/E1/review`), {
      method: 'POST',
      token: as('office1'),
      json: { decision: 'accept' },
    });
    expect(reviewed.status).toBe(200);
    expect(
      (
        await call(api(`/obligations/${enc(tsBoilers)}/evidence`), {
          method: 'POST',
          token: as('tangshan'),
          body: upload({ quantity: '3' }, { name: 'list.pdf', content: pdf('tangshan') }),
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call(api(`/obligations/${enc(sjzVoc)}/waive`), {
          method: 'POST',
          token: as('office1'),
          json: { reason: '企业已关停' },
        })
      ).status,
    ).toBe(200);
    await w.web.deps.index.refresh();
  });
  afterAll(async () => {
    await w?.teardown();
  });

  /** The pages: every GET route that is not the API, a static file, the API document or the health check. */
  const pageRoutes = () =>
    [
      ...new Set(
        registeredRoutes(w.web.app)
          .filter((r) => r.methods.includes('GET'))
          .map((r) => r.url)
          .filter((u) => !/^\/(api|static|docs|healthz)(\/|$)/.test(u) && !u.includes('*')),
      ),
    ].sort();

  /** A route's parameters filled with things that exist where they can (an unknown id shows the 404 page). */
  const fill = (url: string) =>
    url
      .replace(':evidenceId', 'E1')
      .replace(/:key\b/, enc(`${sjzBoilers}#deadline`))
      .replace(/:id\b/, enc(url.startsWith('/obligations/') ? sjzBoilers : 'lantian:none'))
      .replace(/:(\w+)/g, 'none');

  test('every page, as every role, holds no English sentence', async () => {
    const routes = pageRoutes();
    // The walk is of the registered routes, so it cannot pass by walking nothing.
    expect(routes).toEqual(expect.arrayContaining(['/inbox', '/obligations/:id', '/review', '/scoreboard', '/login']));
    const found: { who: string; path: string; status: number; english: string }[] = [];
    const check = (who: string, path: string, r: Answer) => {
      const type = r.headers.get('content-type') ?? '';
      const text = /html/.test(type) ? pageText(r.text) : /csv/.test(type) ? r.text : '';
      const english = englishSentence(text);
      if (english) found.push({ who, path, status: r.status, english });
    };
    check('nobody', '/login', await call(`${w.url}/login`));
    let walked = 0;
    for (const who of ['office1', 'super1', 'sjz', 'tangshan']) {
      const s = await login(w.url, who, w.passwords[who]);
      for (const route of routes) {
        const path = fill(route);
        // call() fails on a refusal page with an English sentence; the rest is checked here.
        const r = await call(`${w.url}${path}`, { headers: { cookie: s.cookie } });
        check(who, path, r);
        walked++;
      }
    }
    expect(walked).toBe(routes.length * 4);
    expect(found).toEqual([]);
  });

  test('the obligation page: the office’s acceptance in Chinese, a typed reason as typed, no workflow ID but in the details', async () => {
    const s = await login(w.url, 'super1', w.passwords.super1);
    const met = (await call(`${w.url}/obligations/${enc(sjzBoilers)}`, { headers: { cookie: s.cookie } })).text;
    expect(met).toContain('理由：材料审核通过');
    expect(met).not.toContain('evidence accepted');
    const waived = (await call(`${w.url}/obligations/${enc(sjzVoc)}`, { headers: { cookie: s.cookie } })).text;
    expect(waived).toContain('理由：企业已关停');
    // The workflow ID appears in the details line only (and in links).
    const text = pageText(met.replace(/<details[\s\S]*?<\/details>/, ''));
    expect(text).not.toContain(sjzBoilers);
  });

  test('a refusal of every kind: its code, and its message in Chinese', async () => {
    const office = await login(w.url, 'office1', w.passwords.office1);
    const json = (path: string, who: string, body: unknown) =>
      call(api(path), { method: 'POST', token: as(who), json: body });
    const send = (who: string, id: string, file?: { name: string; content: Buffer | string }, fields = {}) =>
      call(api(`/obligations/${enc(id)}/evidence`), { method: 'POST', token: as(who), body: upload(fields, file) });
    const cases: [string, () => Promise<Answer>][] = [
      ['unauthorized', () => call(api('/obligations'))],
      ['token_invalid', () => call(api('/obligations'), { token: 'lt_AAAAAAAA_forged' })],
      ['session_invalid', () => call(api('/me'), { headers: { cookie: `lantian_session=x.${'A'.repeat(43)}` } })],
      ['forbidden_role', () => call(api('/scoreboard'), { token: as('sjz') })],
      [
        'csrf_invalid',
        () =>
          call(`${w.url}/obligations/${enc(tsBoilers)}/waive`, {
            method: 'POST',
            headers: { cookie: office.cookie, 'content-type': 'application/x-www-form-urlencoded' },
            body: 'reason=x',
          }),
      ],
      ['method_not_allowed', () => call(api('/me'), { method: 'DELETE', token: as('office1') })],
      ['route_not_found', () => call(api('/nothing'), { token: as('office1') })],
      ['page_not_found', () => call(`${w.url}/nothing`, { headers: { cookie: office.cookie } })],
      ['obligation_not_found', () => call(api(`/obligations/${enc(sjzBoilers)}`), { token: as('tangshan') })],
      ['evidence_not_found', () => call(api(`/obligations/${enc(sjzBoilers)}/evidence/E9`), { token: as('office1') })],
      ['campaign_not_found', () => json('/campaigns/nothing/launch', 'office1', { season: 2030 })],
      ['season_outside', () => json('/campaigns/drill/launch', 'office1', { season: 2100 })],
      ['reason_required', () => json(`/obligations/${enc(tsBoilers)}/waive`, 'office1', { reason: ' ' })],
      ['unknown_field', () => json(`/obligations/${enc(tsBoilers)}/waive`, 'office1', { reason: 'x', colour: 'blue' })],
      ['missing_field', () => json(`/obligations/${enc(tsBoilers)}/extend`, 'office1', { reason: 'x' })],
      [
        'invalid_field',
        () => json(`/obligations/${enc(tsBoilers)}/extend`, 'office1', { dueDate: '2031-02-30', reason: 'x' }),
      ],
      [
        'unsupported_media_type',
        () =>
          call(api(`/obligations/${enc(tsBoilers)}/waive`), {
            method: 'POST',
            token: as('office1'),
            headers: { 'content-type': 'application/xml' },
            body: 'x',
          }),
      ],
      ['evidence_not_multipart', () => json(`/obligations/${enc(tsBoilers)}/evidence`, 'tangshan', { file: 'x' })],
      [
        'evidence_file_type',
        () =>
          send(
            'tangshan',
            tsBoilers,
            { name: 'setup.pdf', content: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(64)]) },
            { quantity: '1' },
          ),
      ],
      ['evidence_empty', () => send('tangshan', tsBoilers, { name: 'empty.pdf', content: '' }, { quantity: '1' })],
      [
        'evidence_path_in_name',
        () => send('tangshan', tsBoilers, { name: '../x.pdf', content: pdf('x') }, { quantity: '1' }),
      ],
      ['evidence_no_file', () => send('tangshan', tsBoilers, undefined, { quantity: '1' })],
      [
        'evidence_unknown_field',
        () => send('tangshan', tsBoilers, { name: 'a.pdf', content: pdf('a') }, { colour: 'blue' }),
      ],
      [
        'quantity_invalid',
        () => send('tangshan', tsBoilers, { name: 'q.pdf', content: pdf('q') }, { quantity: '0x10' }),
      ],
      ['evidence_quantity_required', () => send('tangshan', tsBoilers, { name: 'q.pdf', content: pdf('no q') })],
      // Refused by the workflow's Update validators: the code travels in the failure's details.
      [
        'evidence_same_file',
        () => send('tangshan', tsBoilers, { name: 'again.pdf', content: pdf('tangshan') }, { quantity: '3' }),
      ],
      [
        'rejection_needs_reason',
        () => json(`/obligations/${enc(tsBoilers)}/evidence/E1/review`, 'office1', { decision: 'reject' }),
      ],
      [
        'due_date_not_later',
        () => json(`/obligations/${enc(tsBoilers)}/extend`, 'office1', { dueDate: '2030-12-01', reason: '核实' }),
      ],
      [
        'due_date_beyond_horizon',
        () =>
          json(`/obligations/${enc(tsBoilers)}/correct-due-date`, 'office1', { dueDate: '2032-06-30', reason: '核实' }),
      ],
      [
        'letter_not_found',
        () => json(`/obligations/${enc(tsBoilers)}/acknowledge`, 'tangshan', { notice: `${tsBoilers}#none` }),
      ],
      [
        'evidence_already_reviewed',
        () => json(`/obligations/${enc(sjzBoilers)}/evidence/E1/review`, 'office1', { decision: 'accept' }),
      ],
    ];
    const answers: { expected: string; status: number; error: unknown; message: unknown; english?: string }[] = [];
    // One at a time: some are refused by the same workflow, in this order.
    for (const [expected, ask] of cases) {
      const r = await ask();
      const said = r.body?.message ?? pageText(r.text);
      answers.push({
        expected,
        status: r.status,
        error: r.body?.error ?? expected,
        message: said,
        english: englishSentence(String(said)),
      });
    }
    for (const a of answers) {
      expect(a).toMatchObject({ error: expect.stringMatching(/^[a-z][a-z0-9_]*$/), english: undefined });
      expect(a.status).toBeGreaterThanOrEqual(400);
      expect(String(a.message)).toMatch(/[\u4e00-\u9fff]/);
    }
    // Each kind answers with its own code (a closed obligation may say either of its two).
    expect(answers.map((a) => [a.expected, a.error])).toEqual(
      cases.map(([expected]) => [
        expected,
        expected === 'evidence_already_reviewed'
          ? expect.stringMatching(/^(evidence_already_reviewed|obligation_closed(_final)?)$/)
          : expected,
      ]),
    );
  });
});
