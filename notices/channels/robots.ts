// The two chat robots. Both answer HTTP 200 with JSON {errcode, errmsg}: errcode 0 is delivered,
// a rate-limit code (or -1, "system busy") is retried later, any other code is a refusal.
//
// WeCom (企业微信) group robot: POST {base}/cgi-bin/webhook/send?key=KEY with
//   {msgtype: "markdown", markdown: {content}} or {msgtype: "text", text: {content}}.
//   At most 20 messages a minute per robot; beyond that errcode 45009 ("api freq out of limit").
// DingTalk (钉钉) custom robot with 加签: POST {base}/robot/send?access_token=T&timestamp=MS&sign=S
//   where S = urlencode(base64(HMAC-SHA256(key = secret, message = `${MS}\n${secret}`))), MS the
//   current time in milliseconds (DingTalk refuses one more than an hour off: errcode 310000), with
//   {msgtype: "markdown", markdown: {title, text}} or {msgtype: "text", text: {content}}.
//   At most 20 messages a minute per robot; beyond that errcode 130101 ("send too fast"), and
//   660026 is taken as a rate limit too (see docs/notices.md: not confirmed against DingTalk's docs).
import crypto from 'node:crypto';
import type { ChannelConfig } from './config';
import { chatMessage, type ChannelNotice } from './content';
import {
  ChannelUnavailableError,
  postJson,
  retryableStatus,
  secret,
  snippet,
  type ChannelOutcome,
  type HttpAnswer,
} from './http';

export const WECOM_RATE_LIMITED = [45009];
export const DINGTALK_RATE_LIMITED = [130101, 660026];
/** "System busy, try again later", in both services' global error codes. */
const BUSY = -1;

/** What a robot's answer means; throws ChannelUnavailableError for what may pass. */
export function robotVerdict(service: string, a: HttpAnswer, rateLimited: readonly number[]): ChannelOutcome {
  if (retryableStatus(a.status)) throw new ChannelUnavailableError(`${service} answered HTTP ${a.status}`);
  if (a.status < 200 || a.status >= 300)
    return { refused: `${service} refused the notice (HTTP ${a.status}): ${snippet(a.body)}` };
  let answer: { errcode?: unknown; errmsg?: unknown };
  try {
    answer = JSON.parse(a.body) as typeof answer;
  } catch {
    // Not the service's answer (a proxy's page?): whether it took the message is unknown; ask again.
    throw new ChannelUnavailableError(`${service} answered HTTP ${a.status} without JSON: ${snippet(a.body)}`);
  }
  const code = Number(answer.errcode);
  const msg = typeof answer.errmsg === 'string' ? answer.errmsg : '';
  if (code === 0) return { response: `errcode 0${msg ? ` ${msg}` : ''}` };
  if (rateLimited.includes(code) || code === BUSY)
    throw new ChannelUnavailableError(`${service} asked to wait (errcode ${code}): ${msg}`);
  if (!Number.isInteger(code))
    throw new ChannelUnavailableError(`${service} answered without an errcode: ${snippet(a.body)}`);
  return { refused: `${service} refused the notice (errcode ${code}): ${msg}` };
}

export async function sendWecom(
  n: ChannelNotice,
  to: { keyEnv: string; msgtype?: 'markdown' | 'text' },
  config: ChannelConfig,
  env: NodeJS.ProcessEnv,
): Promise<ChannelOutcome> {
  const key = secret(env, to.keyEnv);
  if ('refused' in key) return key;
  const msgtype = to.msgtype ?? 'markdown';
  const content = chatMessage(n, msgtype, false);
  const body = JSON.stringify({ msgtype, [msgtype]: { content } });
  const url = `${config.wecomBaseUrl}/cgi-bin/webhook/send?key=${encodeURIComponent(key.value)}`;
  const answer = await postJson(url, body, {}, config.timeoutMs, 'WeCom');
  return robotVerdict('WeCom', answer, WECOM_RATE_LIMITED);
}

/** DingTalk's 加签, exactly as its documentation computes it (before URL-encoding). */
export function dingtalkSign(timestamp: number | string, secretValue: string): string {
  return crypto.createHmac('sha256', secretValue).update(`${timestamp}\n${secretValue}`, 'utf8').digest('base64');
}

export async function sendDingtalk(
  n: ChannelNotice,
  to: { accessTokenEnv: string; secretEnv: string; msgtype?: 'markdown' | 'text' },
  config: ChannelConfig,
  env: NodeJS.ProcessEnv,
): Promise<ChannelOutcome> {
  const token = secret(env, to.accessTokenEnv);
  if ('refused' in token) return token;
  const signing = secret(env, to.secretEnv);
  if ('refused' in signing) return signing;
  const msgtype = to.msgtype ?? 'markdown';
  const content = chatMessage(n, msgtype, true);
  const body = JSON.stringify(
    msgtype === 'markdown'
      ? { msgtype, markdown: { title: n.subject, text: content } }
      : { msgtype, text: { content } },
  );
  const timestamp = Date.now();
  const query = new URLSearchParams({
    access_token: token.value,
    timestamp: String(timestamp),
    sign: dingtalkSign(timestamp, signing.value),
  });
  const answer = await postJson(
    `${config.dingtalkBaseUrl}/robot/send?${query}`,
    body,
    {},
    config.timeoutMs,
    'DingTalk',
  );
  return robotVerdict('DingTalk', answer, DINGTALK_RATE_LIMITED);
}
