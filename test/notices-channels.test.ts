// Notices on the channels besides e-mail: a WeCom group robot, a DingTalk robot (加签) and a signed
// webhook, against a local server that checks requests as the services do (test/support/channels.ts).
//  - each channel takes a notice once per key, signed as its service checks it; a retry sends
//    only what is still waiting;
//  - a rate limit (WeCom 45009, DingTalk 130101) and an outage (503) wait and are retried; a
//    refusal (any other errcode, a 4xx, a missing secret) is recorded, never retried, and marked
//    on the timeline, while the e-mail and the other channels go out;
//  - on the time-skipping server: a whole ladder to 唐山市 arrives once on each channel with the
//    e-mail, in the order the workflow issued it; and a storm of 200 reminders at one instant
//    during a webhook outage arrives once per key after the outage, in order per recipient.
import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadPolicies, PolicyError, formatIssue } from '../planner/load';
import { obligationWorkflow } from '../workflows/obligation';
import { recordQuery } from '../workflows/api';
import { resolveCampaign } from '../planner/resolve';
import type { RecipientChannels } from '../notices/directory';
import { messageIdFor } from '../notices/mailer';
import { channelDelivery, ChannelUnavailableError, type ChannelNotice } from '../notices/channels';
import { channelConfig, CHANNEL_DEFAULTS } from '../notices/channels/config';
import { noticeRef } from '../notices/channels/content';
import { dingtalkSign, robotVerdict, DINGTALK_RATE_LIMITED, WECOM_RATE_LIMITED } from '../notices/channels/robots';
import { startChannelServer, type ChannelServer } from './support/channels';
import {
  fixturePolicies,
  fixturePoliciesDir,
  outboxMessages,
  templatesDir,
  tempDir,
  testCalendar,
  testDeps,
  testWorker,
  timeSkippingEnv,
  type TestDeps,
} from './support/temporal';

/** The values of the environment variables the fixture directory names for 唐山市 (130200). */
const SECRETS = {
  LANTIAN_TEST_WECOM_KEY_TANGSHAN: '693a91f6-7xxx-tangshan-robot',
  LANTIAN_TEST_DINGTALK_TOKEN_TANGSHAN: 'dt-token-tangshan',
  LANTIAN_TEST_DINGTALK_SECRET_TANGSHAN: 'SEC0123456789abcdef-tangshan',
  LANTIAN_TEST_WEBHOOK_SECRET_HEBEI: 'hebei-case-system-secret',
};

const services = (clock?: () => number | Promise<number>) =>
  startChannelServer({
    wecomKeys: [SECRETS.LANTIAN_TEST_WECOM_KEY_TANGSHAN],
    dingtalk: { [SECRETS.LANTIAN_TEST_DINGTALK_TOKEN_TANGSHAN]: SECRETS.LANTIAN_TEST_DINGTALK_SECRET_TANGSHAN },
    webhooks: { hebei: SECRETS.LANTIAN_TEST_WEBHOOK_SECRET_HEBEI },
    ...(clock ? { clock } : {}),
  });

/** 唐山市's channels as the fixture directory has them, the webhook at the test server. */
function tangshan(server: ChannelServer, edit = (c: RecipientChannels) => c): Map<string, RecipientChannels> {
  const c = fixturePolicies().channels.get('130200')!;
  return new Map([['130200', edit({ ...c, webhook: { ...c.webhook!, url: `${server.url}/hooks/hebei` } })]]);
}

function channelsAt(
  server: ChannelServer,
  directory: Map<string, RecipientChannels>,
  env: NodeJS.ProcessEnv = SECRETS,
) {
  return channelDelivery({
    directory,
    ledgerDir: tempDir('channel-ledger'),
    config: { wecomBaseUrl: server.url, dingtalkBaseUrl: server.url, timeoutMs: 5000 },
    env,
  });
}

const letter = (key: string, text = '唐山市人民政府：\n\n正文。\n\n测试大气办\n2031年1月15日\n'): ChannelNotice => ({
  key,
  kind: 'warning-letter',
  level: 2,
  documentNumber: '测试大气办〔2031〕2号',
  organisation: { code: '130200', name: '唐山市' },
  subject: '【预警通知函】关于唐山市淘汰燃煤锅炉逾期的预警通知函',
  text,
  issuedAt: '2031-01-15T01:00:00.000Z',
});

const states = (events: { state: string; channel?: string }[], channel: string) =>
  events.filter((e) => e.channel === channel).map((e) => e.state);

describe('the channels against services that check them', () => {
  let server: ChannelServer;
  beforeEach(async () => (server = await services()));
  afterEach(() => server.close());

  test('each channel takes a notice once, signed as its service checks it; the same key again sends nothing', async () => {
    const channels = channelsAt(server, tangshan(server));
    const key = 'lantian:drill:2030:coal-boilers:130200#escalation:2-warning-letter';
    const first = await channels.deliver(letter(key), 1);
    expect(server.requests.map((r) => [r.channel, r.status, r.delivered])).toEqual([
      ['wecom', 200, true],
      ['dingtalk', 200, true],
      ['webhook', 200, true],
    ]);
    const [wecom, dingtalk, webhook] = server.requests;
    expect(wecom.json).toMatchObject({ msgtype: 'markdown', markdown: { content: expect.stringContaining('正文。') } });
    expect(wecom.ref).toBe(noticeRef(key));
    expect(dingtalk.json).toMatchObject({
      msgtype: 'markdown',
      markdown: { title: letter(key).subject, text: expect.stringContaining('唐山市人民政府：') },
    });
    expect(dingtalk.ref).toBe(noticeRef(key));
    expect(webhook.headers['idempotency-key']).toBe(key);
    expect(webhook.json).toEqual({
      key,
      messageId: messageIdFor(key),
      kind: 'warning-letter',
      level: 2,
      documentNumber: '测试大气办〔2031〕2号',
      organisation: { code: '130200', name: '唐山市' },
      subject: letter(key).subject,
      text: letter(key).text,
      issuedAt: '2031-01-15T01:00:00.000Z',
      sentAt: Number(webhook.headers['x-lantian-timestamp']),
    });
    for (const c of ['wecom', 'dingtalk', 'webhook'])
      expect(states(first.delivery, c)).toEqual(['queued', 'sent', 'accepted']);
    expect(first.delivery.filter((e) => e.state === 'accepted').map((e) => e.response)).toEqual([
      'errcode 0 ok',
      'errcode 0 ok',
      'HTTP 200 {"ok":true}',
    ]);
    expect(first.refused).toEqual([]);

    // A retried activity: every channel is in the ledger, nothing is sent, the log is the same.
    const again = await channels.deliver(letter(key), 2);
    expect(server.requests).toHaveLength(3);
    expect(again).toEqual(first);
  });

  test("DingTalk's sign is the documented one; a wrong secret or an old timestamp is refused, recorded and not sent again", async () => {
    // The value DingTalk's own Python sample computes for this timestamp and secret.
    expect(encodeURIComponent(dingtalkSign(1577836800000, 'SECthis-is-a-test-secret'))).toBe(
      'YRiQFrpdHuhmGFexkDuSGcqNP715QCGBHodQUbf5IuI%3D',
    );
    // As sent: the sign in the URL is the URL-encoded base64 of the HMAC, recomputed by the server.
    await channelsAt(
      server,
      tangshan(server, (c) => ({ dingtalk: c.dingtalk })),
    ).deliver(letter('k-sign'), 1);
    const sent = server.requests[0];
    const ts = /timestamp=(\d+)/.exec(sent.url)![1];
    expect(sent.url).toContain(
      `&sign=${encodeURIComponent(dingtalkSign(ts, SECRETS.LANTIAN_TEST_DINGTALK_SECRET_TANGSHAN))}`,
    );
    expect(sent.delivered).toBe(true);

    // The server refuses what DingTalk refuses.
    const post = (query: string) =>
      fetch(`${server.url}/robot/send?access_token=${SECRETS.LANTIAN_TEST_DINGTALK_TOKEN_TANGSHAN}&${query}`, {
        method: 'POST',
        body: JSON.stringify({ msgtype: 'text', text: { content: 'x' } }),
      }).then((r) => r.json());
    const old = Date.now() - 2 * 3600_000;
    const secret = SECRETS.LANTIAN_TEST_DINGTALK_SECRET_TANGSHAN;
    expect(await post(`timestamp=${old}&sign=${encodeURIComponent(dingtalkSign(old, secret))}`)).toEqual({
      errcode: 310000,
      errmsg: 'invalid timestamp',
    });
    const now = Date.now();
    expect(await post(`timestamp=${now}&sign=${encodeURIComponent(dingtalkSign(now, 'SECwrong'))}`)).toEqual({
      errcode: 310000,
      errmsg: 'sign not match',
    });

    // Lantian with the wrong secret: a refusal, recorded, and the ledger keeps it.
    const wrong = channelsAt(
      server,
      tangshan(server, (c) => ({ dingtalk: c.dingtalk })),
      {
        ...SECRETS,
        LANTIAN_TEST_DINGTALK_SECRET_TANGSHAN: 'SECnot-the-robots-secret',
      },
    );
    const report = await wrong.deliver(letter('k-wrong'), 1);
    expect(report.refused).toEqual([
      { address: 'dingtalk', reason: 'DingTalk refused the notice (errcode 310000): sign not match' },
    ]);
    expect(states(report.delivery, 'dingtalk')).toEqual(['queued', 'sent', 'failed']);
    const before = server.requests.length;
    expect(await wrong.deliver(letter('k-wrong'), 2)).toEqual(report);
    expect(server.requests).toHaveLength(before);
  });

  test('an outage or a rate limit waits and is retried; what was delivered is not sent again', async () => {
    const channels = channelsAt(server, tangshan(server));
    server.outage(503, ['webhook']);
    server.limitNext('wecom', 1);
    const key = 'k-outage';
    const err = await channels.deliver(letter(key), 1).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ChannelUnavailableError);
    expect((err as Error).message).toMatch(/wecom: WeCom asked to wait \(errcode 45009\): api freq out of limit/);
    expect((err as Error).message).toMatch(
      /webhook: webhook http:\/\/127\.0\.0\.1:\d+\/hooks\/hebei answered HTTP 503/,
    );
    expect(server.delivered().map((r) => r.channel)).toEqual(['dingtalk']);

    server.outage(null);
    const report = await channels.deliver(letter(key), 2);
    // Each channel delivered once; DingTalk (taken on attempt 1) was not asked again.
    expect(server.delivered().map((r) => r.channel)).toEqual(['dingtalk', 'wecom', 'webhook']);
    expect(report.delivery.filter((e) => e.state === 'sent').map((e) => [e.channel, e.attempt])).toEqual([
      ['wecom', 2],
      ['dingtalk', 1],
      ['webhook', 2],
    ]);
    expect(server.requests.filter((r) => r.channel === 'dingtalk')).toHaveLength(1);
  });

  test('the robots take 20 messages a minute: the 21st waits (WeCom 45009, DingTalk 130101); the webhook has no such limit', async () => {
    const channels = channelsAt(server, tangshan(server));
    for (let i = 0; i < 20; i++) await channels.deliver(letter(`k-${i}`), 1);
    const err = (await channels.deliver(letter('k-20'), 1).catch((e: Error) => e)) as Error;
    expect(err).toBeInstanceOf(ChannelUnavailableError);
    expect(err.message).toContain('WeCom asked to wait (errcode 45009)');
    expect(err.message).toContain('DingTalk asked to wait (errcode 130101): send too fast, exceed 20 times per minute');
    expect(server.delivered('webhook')).toHaveLength(21);
  });

  test('what an answer means: rate limits and outages wait, any other refusal is final', () => {
    const json = (o: object, status = 200) => ({ status, body: JSON.stringify(o) });
    const waits = (service: string, a: { status: number; body: string }, limited: readonly number[]) =>
      expect(() => robotVerdict(service, a, limited)).toThrow(ChannelUnavailableError);
    for (const code of [45009, -1]) waits('WeCom', json({ errcode: code, errmsg: 'x' }), WECOM_RATE_LIMITED);
    for (const code of [130101, 660026, -1])
      waits('DingTalk', json({ errcode: code, errmsg: 'x' }), DINGTALK_RATE_LIMITED);
    for (const status of [429, 500, 502, 503, 504]) waits('WeCom', { status, body: '' }, WECOM_RATE_LIMITED);
    waits('WeCom', { status: 200, body: '<html>gateway</html>' }, WECOM_RATE_LIMITED);
    expect(robotVerdict('WeCom', json({ errcode: 93000, errmsg: 'invalid webhook url' }), WECOM_RATE_LIMITED)).toEqual({
      refused: 'WeCom refused the notice (errcode 93000): invalid webhook url',
    });
    expect(
      robotVerdict('DingTalk', json({ errcode: 300001, errmsg: 'token is not exist' }), DINGTALK_RATE_LIMITED),
    ).toEqual({
      refused: 'DingTalk refused the notice (errcode 300001): token is not exist',
    });
    expect(robotVerdict('WeCom', { status: 404, body: 'no' }, WECOM_RATE_LIMITED)).toEqual({
      refused: 'WeCom refused the notice (HTTP 404): no',
    });
    expect(robotVerdict('DingTalk', json({ errcode: 0, errmsg: 'ok' }), DINGTALK_RATE_LIMITED)).toEqual({
      response: 'errcode 0 ok',
    });
  });

  test('a missing secret, an unknown robot or a webhook that answers 4xx is a refusal naming why, never a wait', async () => {
    const { LANTIAN_TEST_WEBHOOK_SECRET_HEBEI: _unset, ...env } = SECRETS;
    const channels = channelsAt(
      server,
      tangshan(server, (c) => ({ ...c, webhook: { ...c.webhook!, url: `${server.url}/hooks/nobody` } })),
      { ...env, LANTIAN_TEST_WECOM_KEY_TANGSHAN: 'revoked-robot-key' },
    );
    const report = await channels.deliver(letter('k-refused'), 1);
    expect(report.refused).toEqual([
      {
        address: 'wecom',
        reason: expect.stringMatching(/^WeCom refused the notice \(errcode 93000\): invalid webhook url/),
      },
      {
        address: 'webhook',
        reason: 'the environment variable LANTIAN_TEST_WEBHOOK_SECRET_HEBEI (named in policies/directory) is not set',
      },
    ]);
    expect(server.requests.map((r) => r.channel)).toEqual(['wecom', 'dingtalk']);
    const hook = await channelsAt(
      server,
      tangshan(server, (c) => ({ webhook: { ...c.webhook!, url: `${server.url}/hooks/nobody` } })),
    ).deliver(letter('k-404'), 1);
    expect(hook.refused).toEqual([
      {
        address: 'webhook',
        reason: expect.stringMatching(
          /^webhook http:\/\/127\.0\.0\.1:\d+\/hooks\/nobody refused the notice \(HTTP 404\)/,
        ),
      },
    ]);
  });

  test('a long letter fits the robots: cut to 4096 bytes of markdown (2048 of text) with its reference kept', async () => {
    const long = '唐山市人民政府：\n\n' + '根据测试大气办部署，你市应当按期完成任务。\n'.repeat(200);
    const text = channelsAt(
      server,
      tangshan(server, (c) => ({ wecom: { ...c.wecom!, msgtype: 'text' as const } })),
    );
    await channelsAt(
      server,
      tangshan(server, (c) => ({ wecom: c.wecom, dingtalk: c.dingtalk })),
    ).deliver(letter('k-long', long), 1);
    await text.deliver(letter('k-long-text', long), 1);
    expect(server.requests.map((r) => [r.channel, r.delivered])).toEqual([
      ['wecom', true],
      ['dingtalk', true],
      ['wecom', true],
    ]);
    const [md, dt, plain] = server.requests;
    const wecomMd = (md.json!.markdown as { content: string }).content;
    expect(Buffer.byteLength(wecomMd)).toBeLessThanOrEqual(4096);
    expect(wecomMd).toContain('……（全文见邮件）');
    expect(md.ref).toBe(noticeRef('k-long'));
    expect(Buffer.byteLength((dt.json!.markdown as { text: string }).text)).toBeLessThanOrEqual(4096);
    expect(dt.ref).toBe(noticeRef('k-long'));
    expect(Buffer.byteLength((plain.json!.text as { content: string }).content)).toBeLessThanOrEqual(2048);
    expect(plain.ref).toBe(noticeRef('k-long-text'));
  });

  test("configuration: the services' real base URLs unless set; a bad value is refused at start", () => {
    expect(channelConfig({})).toEqual(CHANNEL_DEFAULTS);
    expect(CHANNEL_DEFAULTS).toMatchObject({
      wecomBaseUrl: 'https://qyapi.weixin.qq.com',
      dingtalkBaseUrl: 'https://oapi.dingtalk.com',
    });
    expect(
      channelConfig({
        LANTIAN_WECOM_BASE_URL: 'http://127.0.0.1:1/',
        LANTIAN_DINGTALK_BASE_URL: 'http://127.0.0.1:2',
        LANTIAN_CHANNEL_TIMEOUT_SECONDS: '5',
      }),
    ).toEqual({ wecomBaseUrl: 'http://127.0.0.1:1', dingtalkBaseUrl: 'http://127.0.0.1:2', timeoutMs: 5000 });
    expect(() => channelConfig({ LANTIAN_DINGTALK_BASE_URL: 'oapi.dingtalk.com' })).toThrow(/not a URL/);
    expect(() => channelConfig({ LANTIAN_CHANNEL_TIMEOUT_SECONDS: '600' })).toThrow(/up to 60/);
  });
});

describe('channels in the recipients directory', () => {
  /** The load errors of the fixture policies with 唐山市's channels edited, as offices read them. */
  const errorsWith = (edit: (yaml: string) => string): string[] => {
    const dir = tempDir('policies');
    fs.cpSync(fixturePoliciesDir, dir, { recursive: true });
    const file = path.join(dir, 'directory', 'contacts.yaml');
    fs.writeFileSync(file, edit(fs.readFileSync(file, 'utf8')));
    try {
      loadPolicies(dir, undefined, templatesDir);
    } catch (e) {
      if (e instanceof PolicyError) return e.issues.map((i) => formatIssue(i).replace(dir + path.sep, ''));
      throw e;
    }
    return [];
  };
  const line = (needle: string) =>
    fs
      .readFileSync(path.join(fixturePoliciesDir, 'directory', 'contacts.yaml'), 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(needle)) + 1;

  test('the fixture names the channels of 唐山市 by their environment variables', () => {
    expect(fixturePolicies().channels.get('130200')).toEqual({
      wecom: { keyEnv: 'LANTIAN_TEST_WECOM_KEY_TANGSHAN' },
      dingtalk: {
        accessTokenEnv: 'LANTIAN_TEST_DINGTALK_TOKEN_TANGSHAN',
        secretEnv: 'LANTIAN_TEST_DINGTALK_SECRET_TANGSHAN',
      },
      webhook: { url: 'http://127.0.0.1:9/hooks/hebei', secretEnv: 'LANTIAN_TEST_WEBHOOK_SECRET_HEBEI' },
    });
  });

  test('a secret written into the directory, an unknown key or a plain-http webhook is a load error with file, line and path', () => {
    const wecom = line('keyEnv: LANTIAN_TEST_WECOM_KEY_TANGSHAN');
    const hook = line('/hooks/hebei');
    expect(errorsWith((y) => y.replace('keyEnv: LANTIAN_TEST_WECOM_KEY_TANGSHAN', 'keyEnv: 693a91f6-7xxx'))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^directory/contacts\\.yaml:${wecom} entries\\[3\\]\\.channels\\.wecom\\.keyEnv: .*name the environment variable that holds the secret.*never the secret itself`,
        ),
      ),
    ]);
    expect(
      errorsWith((y) => y.replace('{ keyEnv: LANTIAN_TEST_WECOM_KEY_TANGSHAN }', '{ key: 693a91f6-7xxx }')),
    ).toEqual([
      `directory/contacts.yaml:${wecom} entries[3].channels.wecom.keyEnv: is required (string)`,
      `directory/contacts.yaml:${wecom} entries[3].channels.wecom: unknown key key`,
    ]);
    expect(
      errorsWith((y) => y.replace('secretEnv: LANTIAN_TEST_WEBHOOK_SECRET_HEBEI', 'secretEnv: LANTIAN_SESSION_SECRET')),
    ).toEqual([
      expect.stringMatching(
        /entries\[3\]\.channels\.webhook\.secretEnv: .*LANTIAN_SESSION_SECRET is one of Lantian's own settings$/,
      ),
    ]);
    expect(
      errorsWith((y) => y.replace('http://127.0.0.1:9/hooks/hebei', 'http://cases.hebei.example.gov.cn/hooks')),
    ).toEqual([
      expect.stringMatching(
        new RegExp(
          `^directory/contacts\\.yaml:${hook} entries\\[3\\]\\.channels\\.webhook\\.url: .*use https:// \\(http:// only to a loopback address\\)`,
        ),
      ),
    ]);
    expect(errorsWith((y) => y.replace(/ {4}channels:\n(.*\n){3}/, '    channels: {}\n'))).toEqual([
      expect.stringMatching(/entries\[3\]\.channels: name at least one of wecom, dingtalk, webhook$/),
    ]);
  });
});

// ------------------------------------------------------------------ on the time-skipping server

const calendar = testCalendar(2026, 2032, ['2031-01-01']);
const tangshanRow = () =>
  resolveCampaign(fixturePolicies(), 'drill', calendar, 2030).find(
    (r) => r.obligationId === 'coal-boilers' && r.assignee === '130200',
  )!;
const at = (local: string) => Date.parse(`${local}+08:00`);
/** The notice key each e-mail in the outbox carries. */
const mailedKeys = (deps: TestDeps) => outboxMessages(deps).map((m) => /^X-Lantian-Key:\s*(\S+)/m.exec(m.raw)![1]);

async function until(what: string, done: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('on the time-skipping server', () => {
  let env: TestWorkflowEnvironment | undefined;
  let server: ChannelServer;
  afterEach(async () => {
    await env?.teardown();
    env = undefined;
    await server?.close();
  });

  /** 唐山市's deps with its channels at the test server; the robots' rate windows in the server's time. */
  async function start(edit?: (c: RecipientChannels) => RecipientChannels, secrets: NodeJS.ProcessEnv = SECRETS) {
    env = await timeSkippingEnv();
    const e = env;
    server = await services(() => e.currentTimeMs());
    const deps: TestDeps = { ...testDeps(calendar), channels: channelsAt(server, tangshan(server, edit), secrets) };
    return { env: e, deps, worker: await testWorker(e, deps) };
  }

  test('a ladder of letters to a recipient with all three channels arrives once on each, with the e-mail, in order', async () => {
    const { env, deps, worker } = await start();
    const row = tangshanRow();
    const rec = await worker.runUntil(async () => {
      const h = await env.client.workflow.start(obligationWorkflow, {
        taskQueue: 'lantian-test',
        workflowId: row.workflowId,
        args: [row.input],
      });
      await h.result();
      return h.query(recordQuery);
    });
    // Two reminders, four letters and the 催签 of each letter nobody acknowledged.
    const keys = rec.notices.map((n) => n.key);
    expect(keys).toHaveLength(10);
    expect(rec.timeline.filter((e) => e.type === 'notice-failed')).toEqual([]);
    // Once per key by e-mail and on each channel, in the order the workflow issued them.
    expect(mailedKeys(deps).sort()).toEqual([...keys].sort());
    expect(server.delivered('wecom').map((r) => r.ref)).toEqual(keys.map(noticeRef));
    expect(server.delivered('dingtalk').map((r) => r.ref)).toEqual(keys.map(noticeRef));
    expect(server.delivered('webhook').map((r) => r.key)).toEqual(keys);
    expect(server.requests.filter((r) => !r.delivered)).toEqual([]);
    // Each notice's log: the e-mail's steps, then each channel's queued → sent → accepted.
    for (const n of rec.notices) {
      expect(n.delivery!.filter((d) => !d.channel).map((d) => d.state)).toEqual(['queued', 'sent', 'accepted']);
      for (const c of ['wecom', 'dingtalk', 'webhook'])
        expect(states(n.delivery!, c)).toEqual(['queued', 'sent', 'accepted']);
    }
    // A letter carries its 文号 to the webhook, and its subject to the chats.
    const warning = rec.notices.find((n) => n.kind === 'warning-letter')!;
    const hook = server.delivered('webhook').find((r) => r.key === warning.key)!;
    expect(hook.json).toMatchObject({ kind: 'warning-letter', level: 2, documentNumber: warning.documentNumber });
    expect(warning.documentNumber).toMatch(/^测试大气办〔2031〕\d+号$/);
    const chat = server.delivered('wecom').find((r) => r.ref === noticeRef(warning.key))!;
    expect((chat.json!.markdown as { content: string }).content).toContain(`**${warning.subject}**`);
  });

  test('a rate-limited channel is retried with backoff and then delivered once; the e-mail and the other channels are not sent again', async () => {
    const { env, deps, worker } = await start();
    const row = tangshanRow();
    const key = `${row.workflowId}#reminder:P7D@2030-12-31`;
    // WeCom answers its rate limit twice, DingTalk once, when the first reminder falls due.
    server.limitNext('wecom', 2);
    server.limitNext('dingtalk', 1);
    const rec = await worker.runUntil(async () => {
      const h = await env.client.workflow.start(obligationWorkflow, {
        taskQueue: 'lantian-test',
        workflowId: row.workflowId,
        args: [row.input],
      });
      await env.sleep(at('2030-12-24T12:00:00') - (await env.currentTimeMs()));
      const r = await h.query(recordQuery);
      await h.executeUpdate('waiveObligation', {
        args: [{ actor: { role: 'office', id: 't' }, reason: 'end of test' }],
      });
      return r;
    });
    const ref = noticeRef(key);
    const answers = (channel: 'wecom' | 'dingtalk') =>
      server.requests
        .filter((r) => r.channel === channel && r.ref === ref)
        .map((r) => (r.answer as { errcode: number }).errcode);
    expect(answers('wecom')).toEqual([45009, 45009, 0]);
    expect(answers('dingtalk')).toEqual([130101, 0]);
    expect(server.requests.filter((r) => r.channel === 'webhook' && r.key === key)).toHaveLength(1);
    expect(mailedKeys(deps).filter((k) => k === key)).toHaveLength(1);
    const notice = rec.notices.find((n) => n.key === key)!;
    expect(rec.timeline.filter((e) => e.type === 'reminder-sent').map((e) => e.entry)).toEqual([
      'reminder:P7D@2030-12-31',
    ]);
    expect(rec.queuedNotices).toEqual([]);
    // The attempt that delivered on each channel: WeCom the third, DingTalk the second, the webhook the first.
    expect(notice.delivery!.filter((d) => d.state === 'sent' && d.channel).map((d) => [d.channel, d.attempt])).toEqual([
      ['wecom', 3],
      ['dingtalk', 2],
      ['webhook', 1],
    ]);
    // Retried on workflow timers, with backoff (10 s, then 20 s).
    const sent = Date.parse(rec.timeline.find((e) => e.type === 'reminder-sent')!.at);
    expect(sent - at('2030-12-24T09:00:00')).toBeGreaterThanOrEqual(30_000);
  });

  test('a permanent refusal shows on the timeline with its reason, not retried, while the e-mail and the webhook arrive', async () => {
    // 唐山市's WeCom robot was removed from its group, and its DingTalk secret is out of date.
    const { env, deps, worker } = await start(undefined, {
      ...SECRETS,
      LANTIAN_TEST_WECOM_KEY_TANGSHAN: 'removed-robot-key',
      LANTIAN_TEST_DINGTALK_SECRET_TANGSHAN: 'SECan-old-secret',
    });
    const row = tangshanRow();
    const key = `${row.workflowId}#reminder:P7D@2030-12-31`;
    const rec = await worker.runUntil(async () => {
      const h = await env.client.workflow.start(obligationWorkflow, {
        taskQueue: 'lantian-test',
        workflowId: row.workflowId,
        args: [row.input],
      });
      await env.sleep(at('2030-12-24T12:00:00') - (await env.currentTimeMs()));
      const r = await h.query(recordQuery);
      await h.executeUpdate('waiveObligation', {
        args: [{ actor: { role: 'office', id: 't' }, reason: 'end of test' }],
      });
      return r;
    });
    const failed = rec.timeline.filter((e) => e.type === 'notice-failed');
    expect(failed.map((e) => [e.entry, e.reason])).toEqual([
      [
        'reminder:P7D@2030-12-31',
        expect.stringMatching(/^wecom: WeCom refused the notice \(errcode 93000\): invalid webhook url/),
      ],
      ['reminder:P7D@2030-12-31', 'dingtalk: DingTalk refused the notice (errcode 310000): sign not match'],
    ]);
    expect(rec.timeline.filter((e) => e.type === 'reminder-sent').map((e) => e.entry)).toEqual([
      'reminder:P7D@2030-12-31',
    ]);
    // Not retried: one request to each robot.
    expect(server.requests.filter((r) => r.channel !== 'webhook').map((r) => [r.channel, r.status])).toEqual([
      ['wecom', 200],
      ['dingtalk', 200],
    ]);
    // The e-mail and the webhook arrived, and the log says which channel failed and why.
    expect(mailedKeys(deps)).toEqual([key]);
    expect(server.delivered().map((r) => [r.channel, r.key])).toEqual([['webhook', key]]);
    const notice = rec.notices.find((n) => n.key === key)!;
    expect(notice.delivery!.filter((d) => !d.channel).map((d) => d.state)).toEqual(['queued', 'sent', 'accepted']);
    expect(states(notice.delivery!, 'wecom')).toEqual(['queued', 'sent', 'failed']);
    expect(notice.delivery!.find((d) => d.channel === 'dingtalk' && d.state === 'failed')!.reason).toBe(
      'DingTalk refused the notice (errcode 310000): sign not match',
    );
    expect(states(notice.delivery!, 'webhook')).toEqual(['queued', 'sent', 'accepted']);
    expect(notice.rejected).toEqual([
      { address: 'wecom', reason: expect.stringContaining('errcode 93000') },
      { address: 'dingtalk', reason: expect.stringContaining('errcode 310000') },
    ]);
  });

  test('a webhook storm during an outage: 200 reminders at one instant arrive once per key after it, in order per recipient', async () => {
    const { env, deps, worker } = await start((c) => ({ webhook: c.webhook }));
    const row = tangshanRow();
    const N = 200;
    const ids = Array.from({ length: N }, (_, i) => `${row.workflowId}:storm-${i}`);
    const first = (id: string) => `${id}#reminder:P7D@2030-12-31`;
    const second = (id: string) => `${id}#reminder:P1D@2030-12-31`;
    // The receiving system is down (503) from before the instant until an hour after it.
    server.outage(503, ['webhook']);
    await worker.runUntil(async () => {
      const hs = await Promise.all(
        ids.map((workflowId) =>
          env.client.workflow.start(obligationWorkflow, { taskQueue: 'lantian-test', workflowId, args: [row.input] }),
        ),
      );
      await env.sleep(at('2030-12-24T10:00:00') - (await env.currentTimeMs()));
      // Every e-mail went out at the instant; nothing got through to the webhook, all 200 wait.
      await until('the e-mails of the storm', () => mailedKeys(deps).length === N);
      expect(server.delivered()).toHaveLength(0);
      expect(new Set(server.requests.filter((r) => r.status === 503).map((r) => r.key)).size).toBe(N);
      const during = await hs[0].query(recordQuery);
      expect(during.notices).toHaveLength(0);
      expect(during.queuedNotices!.map((q) => q.key)).toEqual([first(ids[0])]);

      server.outage(null);
      await env.sleep(2 * 3600_000);
      await until('the storm after the outage', () => server.delivered('webhook').length === N, 180_000);
      // The second reminders, six days later, come after every first one.
      await env.sleep(at('2030-12-30T12:00:00') - (await env.currentTimeMs()));
      await until('the second reminders', () => server.delivered('webhook').length === 2 * N, 180_000);
      // Each record: both reminders sent, nothing left queued, the webhook's log accepted.
      for (const h of hs.slice(0, 20)) {
        const rec = await h.query(recordQuery);
        const sent = rec.timeline.filter((e) => e.type === 'reminder-sent');
        expect(sent).toHaveLength(2);
        // The first reminder was recorded sent once the webhook took it, after the outage, on a retry.
        expect(Date.parse(sent[0].at)).toBeGreaterThanOrEqual(at('2030-12-24T10:00:00'));
        expect(
          rec.notices[0].delivery!.find((d) => d.channel === 'webhook' && d.state === 'sent')!.attempt,
        ).toBeGreaterThan(1);
        expect(rec.queuedNotices).toEqual([]);
        for (const n of rec.notices) expect(states(n.delivery!, 'webhook')).toEqual(['queued', 'sent', 'accepted']);
      }
    });
    const got = server.delivered('webhook').map((r) => r.key!);
    // Exactly once per key: 400 keys, each taken once, no duplicate offered.
    expect(new Set(got).size).toBe(2 * N);
    expect(server.requests.filter((r) => r.duplicate)).toEqual([]);
    expect(new Set(got)).toEqual(new Set([...ids.map(first), ...ids.map(second)]));
    expect(mailedKeys(deps).sort()).toEqual([...got].sort());
    // In order per recipient: every first reminder before any second one (the order among the
    // 200 of one instant is not defined: they fell due together).
    const lastFirst = Math.max(...ids.map((id) => got.indexOf(first(id))));
    const firstSecond = Math.min(...ids.map((id) => got.indexOf(second(id))));
    expect(lastFirst).toBeLessThan(firstSecond);
    if (process.env.LANTIAN_DEBUG)
      console.log(
        `storm: ${server.requests.filter((r) => r.status === 503).length} requests answered 503 during the outage`,
      );
  }, 600_000);
});
