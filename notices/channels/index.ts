// A notice on the recipient's channels besides e-mail (WeCom, DingTalk, a signed webhook; per
// recipient in policies/directory), each exactly once per notice key, like the e-mail: a channel
// ledger holds one small file per (key, channel), written once the service has accepted (2xx,
// errcode 0) or refused the notice, so a retried activity sends nothing on that channel again.
//
// The channels go out side by side after the e-mail. A refusal is recorded (a failed delivery
// event and a refused "recipient", which the obligation's timeline shows as notice-failed) and
// fails neither the e-mail nor the other channels. An outage or a rate limit on any channel
// throws ChannelUnavailableError once the others are done: the activity is retried with backoff,
// and the retry finds the e-mail and the delivered channels in their ledgers.
import type { SentLedger } from '../../storage/sent-ledger';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { DeliveryEvent } from '../../domain/obligation';
import type { ChannelName, RecipientChannels } from '../directory';
import { messageIdFor } from '../mailer';
import { writeJsonAtomically } from '../../storage/atomic-file';
import { channelConfig, type ChannelConfig } from './config';
import type { ChannelNotice } from './content';
import { ChannelUnavailableError, type ChannelOutcome } from './http';
import { sendDingtalk, sendWecom } from './robots';
import { sendWebhook } from './webhook';

export { ChannelUnavailableError } from './http';
export type { ChannelNotice } from './content';

export interface ChannelReport {
  /** Each channel's queued, sent, accepted (the service's reply) or failed (the reason), with its name. */
  delivery: DeliveryEvent[];
  /** The channels that refused the notice for good, as refused recipients (shown as notice-failed). */
  refused: { address: string; reason: string }[];
}

export interface ChannelDelivery {
  /** Sends the notice on its recipient's channels that have not had it yet; `attempt` is the activity's. */
  deliver(n: ChannelNotice, attempt: number): Promise<ChannelReport>;
}

/** What the ledger keeps for a (key, channel): the outcome, decided once. */
interface LedgerEntry {
  key: string;
  channel: ChannelName;
  sentAt: string;
  at: string;
  attempt: number;
  response?: string;
  reason?: string;
}

export interface ChannelDeliveryOptions {
  /** Each recipient's channels (PolicySet.channels). */
  directory: Map<string, RecipientChannels>;
  /** Where the channel ledger lives (the worker: <data>/ledger/channels). */
  ledgerDir: string;
  /** The shared sent ledger (PostgreSQL, storage/sent-ledger.ts) instead of the folder, when configured. */
  ledger?: SentLedger;
  config?: ChannelConfig;
  /** Where the secrets are read, at send time (default process.env). */
  env?: NodeJS.ProcessEnv;
}

const ORDER: ChannelName[] = ['wecom', 'dingtalk', 'webhook'];

export function ledgerFileFor(ledgerDir: string, key: string, channel: ChannelName): string {
  return path.join(ledgerDir, `${crypto.createHash('sha256').update(key).digest('hex').slice(0, 32)}.${channel}.json`);
}

export function channelDelivery(o: ChannelDeliveryOptions): ChannelDelivery {
  const config = o.config ?? channelConfig();

  function send(channel: ChannelName, to: RecipientChannels, n: ChannelNotice): Promise<ChannelOutcome> {
    const env = o.env ?? process.env;
    if (channel === 'wecom') return sendWecom(n, to.wecom!, config, env);
    if (channel === 'dingtalk') return sendDingtalk(n, to.dingtalk!, config, env);
    return sendWebhook(n, to.webhook!, messageIdFor(n.key), config, env);
  }

  async function once(channel: ChannelName, to: RecipientChannels, n: ChannelNotice, attempt: number) {
    const file = ledgerFileFor(o.ledgerDir, n.key, channel);
    const shared = o.ledger as SentLedger<LedgerEntry> | undefined;
    const sharedKey = `${n.key} channel:${channel}`;
    const had = shared
      ? await shared.get(sharedKey)
      : fs.existsSync(file)
        ? (JSON.parse(fs.readFileSync(file, 'utf8')) as LedgerEntry)
        : undefined;
    if (had) return had;
    const sentAt = new Date().toISOString();
    const outcome = await send(channel, to, n);
    const entry: LedgerEntry = {
      key: n.key,
      channel,
      sentAt,
      at: new Date().toISOString(),
      attempt,
      ...('response' in outcome ? { response: outcome.response } : { reason: outcome.refused }),
    };
    if (shared) return (await shared.record(sharedKey, entry)).entry;
    await writeJsonAtomically(file, entry);
    return entry;
  }

  return {
    async deliver(n, attempt) {
      const to = o.directory.get(n.organisation.code);
      const report: ChannelReport = { delivery: [], refused: [] };
      if (!to) return report;
      const channels = ORDER.filter((c) => to[c]);
      const settled = await Promise.allSettled(channels.map((c) => once(c, to, n, attempt)));
      const waiting: string[] = [];
      settled.forEach((s, i) => {
        const channel = channels[i];
        if (s.status === 'rejected') {
          if (!(s.reason instanceof ChannelUnavailableError)) throw s.reason;
          waiting.push(`${channel}: ${s.reason.message}`);
          return;
        }
        const e = s.value;
        report.delivery.push(
          { state: 'queued', at: n.issuedAt, channel },
          { state: 'sent', at: e.sentAt, attempt: e.attempt, channel },
          e.response !== undefined
            ? { state: 'accepted', at: e.at, response: e.response, channel }
            : { state: 'failed', at: e.at, reason: e.reason, channel },
        );
        if (e.reason !== undefined) report.refused.push({ address: channel, reason: e.reason });
      });
      // The delivered channels are in the ledger: the retry sends only what is still waiting.
      if (waiting.length) throw new ChannelUnavailableError(`notice ${n.key} waits for ${waiting.join('; ')}`);
      return report;
    },
  };
}
