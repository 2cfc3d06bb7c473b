// Delivery of one rendered notice, exactly once per idempotency key: the Message-ID is derived
// from the key, and a ledger (SMTP) or the outbox file itself (no SMTP) records what went out,
// so an activity retried after a crash does not send the same letter twice.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
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
  return {
    transport: 'smtp',
    async deliver(m) {
      const messageId = messageIdFor(m.key);
      const entry = await ledger.get(m.key);
      if (entry) return { ...entry, duplicate: true };
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
      const delivery: Delivery = {
        messageId,
        transport: 'smtp',
        sentAt,
        deliveredAt: new Date().toISOString(),
        ...(info.response ? { response: info.response } : {}),
        duplicate: false,
        ...(rejected.length ? { rejected } : {}),
      };
      // Insert-if-absent: had another worker recorded this key meanwhile, its record stands.
      await ledger.record(m.key, delivery);
      return delivery;
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
