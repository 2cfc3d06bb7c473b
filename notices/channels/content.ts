// What a channel carries: the notice as rendered for e-mail (subject and text), as a chat message
// for the robots and as a JSON document for the webhook.
import crypto from 'node:crypto';

export interface ChannelNotice {
  /** The notice's idempotency key (workflow ID and step). */
  key: string;
  kind: string;
  level?: number;
  documentNumber?: string;
  organisation: { code: string; name: string };
  subject: string;
  /** The rendered plain text, as in the e-mail. */
  text: string;
  /** When the notice was queued (UTC). */
  issuedAt: string;
}

/**
 * A short reference printed at the foot of a chat message: the same for every copy of a notice, so
 * a reader can tell a repeated message (after a crash, below) from a new one. It is the start of
 * the hash that makes the e-mail's Message-ID.
 */
export const noticeRef = (key: string) => crypto.createHash('sha256').update(key).digest('hex').slice(0, 12);

/**
 * Longest chat message Lantian sends, in UTF-8 bytes. WeCom takes 4096 for markdown and 2048 for
 * text; DingTalk documents no limit we could confirm, so it gets WeCom's markdown limit too.
 */
export const CHAT_LIMITS = { markdown: 4096, text: 2048 } as const;
const CUT = '……（全文见邮件）';

/** `head`, as much of `body` as fits, and `foot`, within `max` bytes; a cut body says so. */
function fit(head: string, body: string, foot: string, max: number): string {
  const whole = head + body + foot;
  if (Buffer.byteLength(whole) <= max) return whole;
  const room = max - Buffer.byteLength(head + CUT + foot);
  let kept = '';
  let bytes = 0;
  for (const ch of body) {
    const b = Buffer.byteLength(ch);
    if (bytes + b > room) break;
    kept += ch;
    bytes += b;
  }
  return head + kept.trimEnd() + CUT + foot;
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l, i, all) => l !== '' || (i > 0 && all[i - 1] !== ''));

/**
 * The chat message: the subject in bold, the text line by line, the reference at the foot.
 * `paragraphs`: DingTalk's markdown joins single lines, so each line is a paragraph there.
 */
export function chatMessage(n: ChannelNotice, msgtype: 'markdown' | 'text', paragraphs: boolean): string {
  const foot = `\n\n通知编号：${noticeRef(n.key)}`;
  if (msgtype === 'text') return fit(`${n.subject}\n\n`, lines(n.text).join('\n').trim(), foot, CHAT_LIMITS.text);
  const body = paragraphs
    ? lines(n.text)
        .filter((l) => l !== '')
        .join('\n\n')
    : lines(n.text).join('\n').trim();
  return fit(`**${n.subject}**\n\n`, body, foot, CHAT_LIMITS.markdown);
}

/** The webhook's JSON body: everything a receiving system needs to file the notice. */
export function webhookDocument(n: ChannelNotice, messageId: string, sentAt: number) {
  return {
    key: n.key,
    messageId,
    kind: n.kind,
    ...(n.level !== undefined ? { level: n.level } : {}),
    ...(n.documentNumber ? { documentNumber: n.documentNumber } : {}),
    organisation: { code: n.organisation.code, name: n.organisation.name },
    subject: n.subject,
    text: n.text,
    issuedAt: n.issuedAt,
    /** Unix seconds, as in X-Lantian-Timestamp: inside the signed body, so it cannot be replayed with another. */
    sentAt,
  };
}
