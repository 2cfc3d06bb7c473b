// WeCom's and DingTalk's robot endpoints and a webhook receiver, on one local HTTP server (node:http,
// 127.0.0.1, a free port), checking requests the way the real services do and answering as their
// documents say:
//  - WeCom  POST /cgi-bin/webhook/send?key=K: an unknown key is errcode 93000; a message type other
//    than markdown or text 40008; empty content 44004; content over 4096 (markdown) or 2048 (text)
//    bytes 40058; more than 20 messages a minute to one robot 45009 "api freq out of limit".
//  - DingTalk POST /robot/send?access_token=T&timestamp=MS&sign=S: an unknown token is 300001; the
//    sign is recomputed from the timestamp and the robot's secret (HMAC-SHA256, base64) and a
//    mismatch is 310000 "sign not match", a timestamp more than an hour from now 310000 "invalid
//    timestamp"; more than 20 messages a minute 130101 "send too fast".
//  - webhook POST /hooks/<name>: the HMAC-SHA256 of the raw body with the hook's secret must be
//    X-Lantian-Signature (401 otherwise), X-Lantian-Timestamp within 5 minutes of now and equal
//    to the body's sentAt (401), an Idempotency-Key present (400); a key seen before is answered
//    200 {"ok":true,"duplicate":true} and dropped, as a receiver should.
// Signatures and timestamps are checked against the real clock, like the services; the rate
// windows count in `clock`, the time-skipping server's in tests that run there.
import http from 'node:http';
import crypto from 'node:crypto';

export type ChannelKind = 'wecom' | 'dingtalk' | 'webhook';

export interface ReceivedRequest {
  channel: ChannelKind;
  /** The robot's key or token, or the hook's name. */
  robot: string;
  /** The request's path and query as sent (a DingTalk sign still URL-encoded). */
  url: string;
  /** The notice: its Idempotency-Key (webhook), or the 通知编号 at the foot of a chat message. */
  key?: string;
  ref?: string;
  body: string;
  json?: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
  status: number;
  answer: unknown;
  /** Taken: errcode 0 or a 2xx that is not a dropped duplicate. */
  delivered: boolean;
  duplicate?: boolean;
}

export interface ChannelServerOptions {
  /** WeCom robot keys the server knows. */
  wecomKeys?: string[];
  /** DingTalk robots: access token → secret (SEC…). */
  dingtalk?: Record<string, string>;
  /** Webhooks: name (/hooks/<name>) → secret. */
  webhooks?: Record<string, string>;
  /** The clock the rate windows count in (ms); real time by default. */
  clock?: () => number | Promise<number>;
  /** Runs when a request has been checked and taken, before the answer is sent (a crash test kills here). */
  onDelivered?: (r: ReceivedRequest) => void;
}

export interface ChannelServer {
  url: string;
  requests: ReceivedRequest[];
  delivered(channel?: ChannelKind): ReceivedRequest[];
  /** Every request to these channels answered with `status` (503) until `outage(null)`. */
  outage(status: number | null, channels?: ChannelKind[]): void;
  /** The next `n` requests to a channel get its rate-limit answer, whatever the window says. */
  limitNext(channel: ChannelKind, n: number): void;
  close(): Promise<void>;
}

const PER_MINUTE = 20;
const LIMITS = { markdown: 4096, text: 2048 };

export const refIn = (content: string) => /通知编号：([0-9a-f]{12})/.exec(content)?.[1];

export async function startChannelServer(o: ChannelServerOptions = {}): Promise<ChannelServer> {
  const requests: ReceivedRequest[] = [];
  const windows = new Map<string, number[]>();
  const seenKeys = new Set<string>();
  let down: { status: number; channels: ChannelKind[] } | undefined;
  const forced = new Map<ChannelKind, number>();
  const clock = o.clock ?? (() => Date.now());

  /** True when the robot has taken PER_MINUTE messages in the last minute (by `clock`); a webhook has no window. */
  async function overLimit(channel: ChannelKind, robot: string): Promise<boolean> {
    const left = forced.get(channel) ?? 0;
    if (left > 0) {
      forced.set(channel, left - 1);
      return true;
    }
    if (channel === 'webhook') return false;
    const now = await clock();
    const w = (windows.get(`${channel}:${robot}`) ?? []).filter((t) => t > now - 60_000);
    windows.set(`${channel}:${robot}`, w);
    if (w.length >= PER_MINUTE) return true;
    w.push(now);
    return false;
  }

  async function wecom(url: URL, r: ReceivedRequest): Promise<void> {
    const key = url.searchParams.get('key') ?? '';
    r.robot = key;
    const err = (errcode: number, errmsg: string) => Object.assign(r, { status: 200, answer: { errcode, errmsg } });
    if (!o.wecomKeys?.includes(key)) return void err(93000, 'invalid webhook url, hint: [test server]');
    const json = r.json;
    if (!json) return void err(40058, 'request body is not JSON');
    const type = json.msgtype;
    if (type !== 'markdown' && type !== 'text') return void err(40008, 'invalid message type');
    const content = (json[type] as { content?: unknown } | undefined)?.content;
    if (typeof content !== 'string' || !content) return void err(44004, 'empty content');
    if (Buffer.byteLength(content) > LIMITS[type]) return void err(40058, `${type}.content exceed max length`);
    r.ref = refIn(content);
    if (await overLimit('wecom', key)) return void err(45009, 'api freq out of limit');
    Object.assign(r, { status: 200, answer: { errcode: 0, errmsg: 'ok' }, delivered: true });
  }

  async function dingtalk(url: URL, r: ReceivedRequest): Promise<void> {
    const token = url.searchParams.get('access_token') ?? '';
    r.robot = token;
    const err = (errcode: number, errmsg: string) => Object.assign(r, { status: 200, answer: { errcode, errmsg } });
    const secret = o.dingtalk?.[token];
    if (secret === undefined) return void err(300001, 'token is not exist');
    // 加签: the sign DingTalk computes from the timestamp in the URL and the robot's secret.
    const timestamp = url.searchParams.get('timestamp') ?? '';
    const sign = url.searchParams.get('sign') ?? '';
    if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() - Number(timestamp)) > 3600_000)
      return void err(310000, 'invalid timestamp');
    const expected = crypto.createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
    if (sign !== expected) return void err(310000, 'sign not match');
    const json = r.json;
    if (!json) return void err(40035, 'missing parameter json');
    const type = json.msgtype;
    const part = json[String(type)] as { content?: unknown; title?: unknown; text?: unknown } | undefined;
    const content = type === 'markdown' ? part?.text : type === 'text' ? part?.content : undefined;
    if (typeof content !== 'string' || !content || (type === 'markdown' && typeof part?.title !== 'string'))
      return void err(40035, 'missing parameter');
    r.ref = refIn(content);
    if (await overLimit('dingtalk', token)) return void err(130101, 'send too fast, exceed 20 times per minute');
    Object.assign(r, { status: 200, answer: { errcode: 0, errmsg: 'ok' }, delivered: true });
  }

  async function webhook(url: URL, raw: Buffer, headers: http.IncomingHttpHeaders, r: ReceivedRequest): Promise<void> {
    const name = url.pathname.replace(/^\/hooks\//, '');
    r.robot = name;
    const secret = o.webhooks?.[name];
    const no = (status: number, error: string) => Object.assign(r, { status, answer: { error } });
    if (secret === undefined) return void no(404, 'no such hook');
    const key = headers['idempotency-key'];
    if (typeof key !== 'string' || !key) return void no(400, 'Idempotency-Key missing');
    r.key = key;
    const signature = `sha256=${crypto.createHmac('sha256', secret).update(raw).digest('hex')}`;
    const given = String(headers['x-lantian-signature'] ?? '');
    if (given.length !== signature.length || !crypto.timingSafeEqual(Buffer.from(given), Buffer.from(signature)))
      return void no(401, 'signature does not match the body');
    const ts = Number(headers['x-lantian-timestamp']);
    if (!Number.isInteger(ts) || Math.abs(Date.now() / 1000 - ts) > 300 || r.json?.sentAt !== ts)
      return void no(401, 'timestamp missing, stale or not the signed one');
    if (await overLimit('webhook', name)) return void no(429, 'slow down');
    if (seenKeys.has(key))
      return void Object.assign(r, { status: 200, answer: { ok: true, duplicate: true }, duplicate: true });
    seenKeys.add(key);
    Object.assign(r, { status: 200, answer: { ok: true }, delivered: true });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const body = raw.toString('utf8');
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const channel: ChannelKind | undefined =
          url.pathname === '/cgi-bin/webhook/send'
            ? 'wecom'
            : url.pathname === '/robot/send'
              ? 'dingtalk'
              : url.pathname.startsWith('/hooks/')
                ? 'webhook'
                : undefined;
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(body) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        const r: ReceivedRequest = {
          channel: channel ?? 'webhook',
          robot: '',
          url: req.url ?? '',
          body,
          ...(json ? { json } : {}),
          headers: req.headers,
          ...(channel === 'webhook' && typeof req.headers['idempotency-key'] === 'string'
            ? { key: req.headers['idempotency-key'] }
            : {}),
          status: 404,
          answer: { error: 'not found' },
          delivered: false,
        };
        if (req.method !== 'POST' || !channel) Object.assign(r, { status: 405, answer: { error: 'POST only' } });
        else if (down && down.channels.includes(channel))
          Object.assign(r, { status: down.status, answer: 'Service Unavailable' });
        else if (channel === 'wecom') await wecom(url, r);
        else if (channel === 'dingtalk') await dingtalk(url, r);
        else await webhook(url, raw, req.headers, r);
        requests.push(r);
        if (r.delivered) o.onDelivered?.(r);
        res.writeHead(r.status, {
          'content-type': typeof r.answer === 'string' ? 'text/plain' : 'application/json',
          ...(r.status === 429 ? { 'retry-after': '60' } : {}),
        });
        res.end(typeof r.answer === 'string' ? r.answer : JSON.stringify(r.answer));
      })().catch((e: Error) => {
        res.writeHead(500);
        res.end(e.message);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    delivered: (channel) => requests.filter((r) => r.delivered && (!channel || r.channel === channel)),
    outage(status, channels = ['wecom', 'dingtalk', 'webhook']) {
      down = status === null ? undefined : { status, channels };
    },
    limitNext(channel, n) {
      forced.set(channel, n);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
