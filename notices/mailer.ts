// Delivery of one rendered notice, exactly once per idempotency key: the Message-ID is derived
// from the key, and a ledger (SMTP) or the outbox file itself (no SMTP) records what went out,
// so an activity retried after a crash does not send the same letter twice.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import { writeFileAtomically } from '../storage/atomic-file';
import { fileSentLedger, type SentLedger } from '../storage/sent-ledger';

export interface OutgoingMail {
  key: string;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  html?: string;
  /** A letter's PDF. The Message-ID stays the key's, whatever is attached. */
  attachments?: MailAttachment[];
}

export interface MailAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
}

export interface Delivery {
  messageId: string;
  transport: 'smtp' | 'outbox';
  location?: string;
  deliveredAt: string;
  /** When the message was handed to the transport (the SMTP transaction began). */
  sentAt?: string;
  /** What the server (or the outbox) said when it took the message, e.g. "250 OK: queued as …". */
  response?: string;
  /** True when this key had already been delivered and nothing was sent now. */
  duplicate: boolean;
  /** Recipients the server refused permanently while accepting the others. */
  rejected?: { address: string; reason: string }[];
}

/** A refusal that retrying cannot cure (5xx from the server, unknown mailbox). */
export class PermanentDeliveryError extends Error {
  constructor(
    message: string,
    readonly sentAt?: string,
  ) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}

export function messageIdFor(key: string): string {
  return `<${crypto.createHash('sha256').update(key).digest('hex').slice(0, 32)}@lantian>`;
}

const fileNameFor = (key: string) => crypto.createHash('sha256').update(key).digest('hex').slice(0, 32);

function message(m: OutgoingMail, messageId: string): Mail.Options {
  return {
    messageId,
    from: m.from,
    to: m.to,
    cc: m.cc.length ? m.cc : undefined,
    subject: m.subject,
    text: m.text,
    html: m.html,
    textEncoding: 'base64',
    headers: { 'X-Lantian-Key': m.key },
    ...(m.attachments?.length
      ? {
          attachments: m.attachments.map((a) => ({
            filename: a.filename,
            content: a.content,
            contentType: a.contentType,
            contentDisposition: 'attachment' as const,
          })),
        }
      : {}),
  };
}

export interface Mailer {
  transport: Delivery['transport'];
  deliver(m: OutgoingMail): Promise<Delivery>;
  close(): void;
}

/** No SMTP configured: each notice becomes an .eml file in the outbox folder. */
export function outboxMailer(outboxDir: string): Mailer {
  return {
    transport: 'outbox',
    async deliver(m) {
      const messageId = messageIdFor(m.key);
      const file = path.join(outboxDir, `${fileNameFor(m.key)}.eml`);
      if (fs.existsSync(file)) {
        return {
          messageId,
          transport: 'outbox',
          location: file,
          deliveredAt: fs.statSync(file).mtime.toISOString(),
          duplicate: true,
        };
      }
      const sentAt = new Date().toISOString();
      const raw = await new MailComposer(message(m, messageId)).compile().build();
      await writeFileAtomically(file, raw);
      return {
        messageId,
        transport: 'outbox',
        location: file,
        sentAt,
        deliveredAt: new Date().toISOString(),
        response: `written to the outbox (${path.basename(file)})`,
        duplicate: false,
      };
    },
    close() {},
  };
}

/**
 * How long a reservation to send lasts unless renewed. Its holder renews it every third of that
 * while the send runs (a slow server keeps it), so only a holder that died, or whose process stood
 * still that long, loses it; the next attempt then sends again with the same Message-ID. Shorter
 * than the time a dead worker takes to be noticed (its workflow task's 10 s timeout) plus a new
 * worker's start, so a retry after a crash rarely has to wait for it.
 */
export const SEND_LEASE_MS = 15_000;

/** Another attempt of the same notice is sending it now: retried once its lease would have lapsed. */
export const SEND_IN_PROGRESS = 'NoticeSendInProgress';

/**
 * SMTP (pooled) with a sent ledger keyed like the outbox: a folder, or the shared ledger in
 * PostgreSQL (storage/sent-ledger.ts) so that a second worker finds what the first one sent.
 */
export function smtpMailer(url: string, ledgerDirOrStore: string | SentLedger): Mailer {
  const ledger = (
    typeof ledgerDirOrStore === 'string' ? fileSentLedger(ledgerDirOrStore) : ledgerDirOrStore
  ) as SentLedger<Delivery>;
  const transport = nodemailer.createTransport(
    url.includes('pool=') ? url : `${url}${url.includes('?') ? '&' : '?'}pool=true`,
  );
  async function send(m: OutgoingMail, messageId: string): Promise<Delivery> {
    const sentAt = new Date().toISOString();
    let info: {
      response?: string;
      rejected?: unknown[];
      rejectedErrors?: { recipient?: string; responseCode?: number; message: string }[];
    };
    try {
      info = await transport.sendMail(message(m, messageId));
    } catch (e) {
      const code = (e as { responseCode?: number }).responseCode;
      if (code && code >= 500)
        throw new PermanentDeliveryError(`SMTP refused the notice (${code}): ${(e as Error).message}`, sentAt);
      throw e;
    }
    // Sent to the accepted recipients; a refused one is reported, and not retried (that would
    // send the letter again to everyone who did receive it).
    const rejected = (info.rejectedErrors ?? []).map((r) => ({
      address: r.recipient ?? '',
      reason: `SMTP refused the notice (${r.responseCode ?? '?'}): ${r.message}`,
    }));
    return {
      messageId,
      transport: 'smtp',
      sentAt,
      deliveredAt: new Date().toISOString(),
      ...(info.response ? { response: info.response } : {}),
      duplicate: false,
      ...(rejected.length ? { rejected } : {}),
    };
  }
  return {
    transport: 'smtp',
    async deliver(m) {
      const messageId = messageIdFor(m.key);
      const entry = await ledger.get(m.key);
      if (entry) return { ...entry, duplicate: true };
      // Reserved before sending: of two attempts running at once (a retry after a timeout while
      // the first still sends, on a loaded machine or another worker) only one sends.
      const holder = `${os.hostname()}/${process.pid}/${crypto.randomUUID()}`;
      const r = await ledger.reserve(m.key, holder, SEND_LEASE_MS);
      const inProgress = (by: string, remainingMs: number) =>
        ApplicationFailure.create({
          message: `notice ${m.key} is being sent by another attempt (${by}); retried when that one has finished or its lease has lapsed`,
          type: SEND_IN_PROGRESS,
          nonRetryable: false,
          nextRetryDelay: Math.max(1000, Math.ceil(remainingMs) + 500),
        });
      if (!r.reserved) throw inProgress(r.current.holder, r.current.remainingMs);
      const renewal = setInterval(() => {
        ledger.renew(m.key, holder, SEND_LEASE_MS).catch(() => undefined);
      }, SEND_LEASE_MS / 3);
      try {
        // Recorded between our check and our reservation (that attempt sent, recorded, released).
        const recorded = await ledger.get(m.key);
        if (recorded) return { ...recorded, duplicate: true };
        // A holder that stood still past its lease (a paused process) may have been overtaken:
        // it must not send beside the attempt that took over.
        if (!(await ledger.renew(m.key, holder, SEND_LEASE_MS)))
          throw inProgress('an attempt that took over', SEND_LEASE_MS);
        const delivery = await send(m, messageId);
        // Insert-if-absent: had an attempt that took over a lapsed reservation recorded this key
        // meanwhile, its record stands.
        await ledger.record(m.key, delivery);
        return delivery;
      } finally {
        clearInterval(renewal);
        await ledger.release(m.key, holder).catch(() => undefined);
      }
    },
    close() {
      transport.close();
    },
  };
}

/**
 * Who a notice is from: the issuing office by name at the campaign's office address, so each
 * office's letters come from its own mailbox; the configured sender (LANTIAN_MAIL_FROM) when the
 * notice has no office address. The Message-ID does not depend on it.
 */
export function officeSender(office: { name?: string; email?: string }, fallback: string): string {
  if (!office.email) return fallback;
  const name = office.name?.replace(/["\\\r\n]/g, '').trim();
  return name ? `"${name}" <${office.email}>` : office.email;
}
