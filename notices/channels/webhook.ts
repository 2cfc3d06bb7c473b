// The generic signed webhook: the notice as JSON, POSTed to the recipient's URL with
//   X-Lantian-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>
//   X-Lantian-Timestamp: <unix seconds, also in the body as sentAt, so inside the signature>
//   Idempotency-Key:     <the notice key: the same on every attempt, so the receiver drops a repeat>
// 2xx is delivered; 408, 425, 429 and 5xx (and no answer) are retried; any other status (a 3xx
// included: the URL must be corrected in the directory) is a refusal.
import crypto from 'node:crypto';
import type { ChannelConfig } from './config';
import { webhookDocument, type ChannelNotice } from './content';
import { ChannelUnavailableError, postJson, retryableStatus, secret, snippet, type ChannelOutcome } from './http';

export const webhookSignature = (body: string | Buffer, secretValue: string) =>
  `sha256=${crypto.createHmac('sha256', secretValue).update(body).digest('hex')}`;

/** Header values are Latin-1: a key outside printable ASCII travels percent-encoded. */
const headerValue = (v: string) => (/^[\x20-\x7e]*$/.test(v) ? v : encodeURIComponent(v));

export async function sendWebhook(
  n: ChannelNotice,
  to: { url: string; secretEnv: string },
  messageId: string,
  config: ChannelConfig,
  env: NodeJS.ProcessEnv,
): Promise<ChannelOutcome> {
  const signing = secret(env, to.secretEnv);
  if ('refused' in signing) return signing;
  const sentAt = Math.floor(Date.now() / 1000);
  const body = JSON.stringify(webhookDocument(n, messageId, sentAt));
  const u = new URL(to.url);
  // Named without its query, which may carry a token of the receiver's.
  const where = `webhook ${u.origin}${u.pathname}`;
  const answer = await postJson(
    to.url,
    body,
    {
      'idempotency-key': headerValue(n.key),
      'x-lantian-timestamp': String(sentAt),
      'x-lantian-signature': webhookSignature(body, signing.value),
    },
    config.timeoutMs,
    where,
  );
  if (retryableStatus(answer.status)) throw new ChannelUnavailableError(`${where} answered HTTP ${answer.status}`);
  if (answer.status >= 200 && answer.status < 300)
    return { response: `HTTP ${answer.status}${answer.body ? ` ${snippet(answer.body)}` : ''}` };
  return { refused: `${where} refused the notice (HTTP ${answer.status}): ${snippet(answer.body)}` };
}
