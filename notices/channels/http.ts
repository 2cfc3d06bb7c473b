// One POST to a channel, and what its answer means. Three outcomes, decided here and in the
// channel's own module: accepted (with the service's reply), refused for good (with the reason,
// recorded and never retried), or unavailable for now (ChannelUnavailableError: the activity is
// retried with backoff, as for a mail server that is down).

/** An outage, a timeout or a rate limit: retrying later can cure it. Retryable (not in PERMANENT). */
export class ChannelUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelUnavailableError';
  }
}

export type ChannelOutcome = { response: string } | { refused: string };

export interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * POSTs `body` as JSON. A network error or no answer within `timeoutMs` is unavailability.
 * `where` names the endpoint in messages and must not hold a secret (robots carry theirs in the query).
 */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  where: string,
): Promise<HttpAnswer> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Lantian', ...headers },
      body,
      // A redirect is the service telling us to use another address: an office must correct the
      // directory, so it is a refusal (below), never a silent re-POST elsewhere.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, body: await res.text() };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why =
      err.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (err.cause?.code ?? err.message);
    throw new ChannelUnavailableError(`${where} unreachable: ${why}`);
  }
}

/** HTTP statuses worth retrying: a timeout, too early, too many requests, and every 5xx. */
export const retryableStatus = (status: number) => status === 408 || status === 425 || status === 429 || status >= 500;

/** The first 200 characters of an answer, on one line, for the delivery log. */
export const snippet = (body: string) => {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
};

/**
 * A channel's secret, from the environment variable the directory names, read at send time. A
 * missing one is a refusal: retrying for days would not set it, and the notice's other channels
 * and the obligation's next steps must not wait for an operator.
 */
export function secret(env: NodeJS.ProcessEnv, name: string): { value: string } | { refused: string } {
  const value = env[name];
  return value ? { value } : { refused: `the environment variable ${name} (named in policies/directory) is not set` };
}
