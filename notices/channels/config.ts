// Configuration of the chat and webhook channels, read from the environment when a channel
// delivery is set up (the worker's start). The services' base URLs default to the real ones;
// tests point them at a local server. The channels' secrets are not here: each recipient's entry
// in policies/directory names the environment variable that holds its secret, read at send time.

export interface ChannelConfig {
  /** WeCom (企业微信) group robots: POST {base}/cgi-bin/webhook/send?key=… */
  wecomBaseUrl: string;
  /** DingTalk (钉钉) custom robots: POST {base}/robot/send?access_token=…&timestamp=…&sign=… */
  dingtalkBaseUrl: string;
  /** Longest wait for one request's answer; a request that takes longer is retried like an outage. */
  timeoutMs: number;
}

export const CHANNEL_DEFAULTS: ChannelConfig = {
  wecomBaseUrl: 'https://qyapi.weixin.qq.com',
  dingtalkBaseUrl: 'https://oapi.dingtalk.com',
  timeoutMs: 15_000,
};

export class ChannelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelConfigError';
  }
}

function baseUrl(name: string, value: string | undefined, fallback: string): string {
  if (value === undefined || value === '') return fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ChannelConfigError(`${name}: not a URL: ${value}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ChannelConfigError(`${name}: use an https:// URL (${value})`);
  return value.replace(/\/+$/, '');
}

/**
 * LANTIAN_WECOM_BASE_URL, LANTIAN_DINGTALK_BASE_URL (the services' real addresses by default) and
 * LANTIAN_CHANNEL_TIMEOUT_SECONDS (15).
 */
export function channelConfig(env: NodeJS.ProcessEnv = process.env): ChannelConfig {
  const seconds = env.LANTIAN_CHANNEL_TIMEOUT_SECONDS;
  const timeout = seconds === undefined || seconds === '' ? CHANNEL_DEFAULTS.timeoutMs / 1000 : Number(seconds);
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 60)
    throw new ChannelConfigError(`LANTIAN_CHANNEL_TIMEOUT_SECONDS: a number of seconds up to 60 (${seconds})`);
  return {
    wecomBaseUrl: baseUrl('LANTIAN_WECOM_BASE_URL', env.LANTIAN_WECOM_BASE_URL, CHANNEL_DEFAULTS.wecomBaseUrl),
    dingtalkBaseUrl: baseUrl(
      'LANTIAN_DINGTALK_BASE_URL',
      env.LANTIAN_DINGTALK_BASE_URL,
      CHANNEL_DEFAULTS.dingtalkBaseUrl,
    ),
    timeoutMs: timeout * 1000,
  };
}
