// Evidence uploads: the file's type is judged from its first bytes, not from its name or the
// browser's word; the name is reduced to a bare, printable file name; the size is capped. The
// bytes stream through a guard into the content-addressed store, so nothing is held whole in
// memory, and every refusal says why.
import { Transform, type TransformCallback } from 'node:stream';
import { EvidenceRefused } from '../storage/evidence-store';
import { stripBidi } from '../client/input';
import { message, refusalOf, type Refusal } from '../i18n/messages';

export interface Sniffed {
  mediaType: string;
  label: string;
}

const OOXML: Record<string, string> = {
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};
const OLE: Record<string, string> = {
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  ppt: 'application/vnd.ms-powerpoint',
};

const starts = (b: Buffer, sig: number[] | string, at = 0) => {
  const s = typeof sig === 'string' ? Buffer.from(sig, 'latin1') : Buffer.from(sig);
  return b.length >= at + s.length && b.subarray(at, at + s.length).equals(s);
};

/** The accepted types, by their content. Undefined: not one of them. */
export function sniff(head: Buffer, fileName: string): Sniffed | undefined {
  const ext = /\.([A-Za-z0-9]+)$/.exec(fileName)?.[1]?.toLowerCase() ?? '';
  if (starts(head, '%PDF-')) return { mediaType: 'application/pdf', label: 'PDF' };
  if (starts(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { mediaType: 'image/png', label: 'PNG' };
  if (starts(head, [0xff, 0xd8, 0xff])) return { mediaType: 'image/jpeg', label: 'JPEG' };
  if (starts(head, 'GIF87a') || starts(head, 'GIF89a')) return { mediaType: 'image/gif', label: 'GIF' };
  if (starts(head, 'RIFF') && starts(head, 'WEBP', 8)) return { mediaType: 'image/webp', label: 'WebP' };
  if (starts(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]))
    return { mediaType: OLE[ext] ?? 'application/x-ole-storage', label: 'Office 97–2003 document' };
  if (starts(head, [0x50, 0x4b, 0x03, 0x04])) {
    // An OOXML package's first entries are its manifest and relationships.
    const nameLen = head.length >= 30 ? head.readUInt16LE(26) : 0;
    const first = head.subarray(30, 30 + nameLen).toString('latin1');
    const office = /^(\[Content_Types\]\.xml|_rels\/|docProps\/|word\/|xl\/|ppt\/)/.test(first);
    if (office && OOXML[ext]) return { mediaType: OOXML[ext], label: 'Office document' };
    return { mediaType: 'application/zip', label: 'ZIP' };
  }
  if (ext === 'csv' && isText(head)) return { mediaType: 'text/csv', label: 'CSV' };
  return undefined;
}

function isText(head: Buffer): boolean {
  if (head.length === 0) return false;
  for (const b of head) if (b === 0 || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) return false;
  return true;
}

export function describeHead(head: Buffer): string {
  if (starts(head, 'MZ')) return 'a Windows executable';
  if (starts(head, [0x7f, 0x45, 0x4c, 0x46])) return 'an ELF executable';
  if (/^\s*<(!doctype html|html|script|svg)/i.test(head.subarray(0, 64).toString('latin1'))) return 'HTML/SVG markup';
  if (isText(head)) return 'plain text (text is accepted only as a .csv file)';
  return `unknown content starting ${head.subarray(0, 8).toString('hex')}`;
}

/** A bare file name fit to show and store, or the reason it cannot be one. */
export function sanitiseFileName(raw: string | undefined): { name: string } | { refused: Refusal } {
  // Bidirectional controls out: U+202E would show "报告\u202Efdp.exe" as "报告exe.pdf".
  const name = stripBidi((raw ?? '').normalize('NFC'));
  if (!name.trim()) return { refused: refusalOf('evidence_no_name', {}) };
  if (/[\\/]/.test(name) || name.split(/[\\/]/).includes('..') || /^\.+$/.test(name.trim())) {
    return { refused: refusalOf('evidence_path_in_name', { name }) };
  }
  const clean = name
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this strips
    .replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_')
    .trim()
    .replace(/^\.+/, '_');
  if (Buffer.byteLength(clean) > 255) return { refused: refusalOf('evidence_name_too_long', {}) };
  return { name: clean };
}

export const megabytes = (n: number) => `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MB`;

/**
 * Passes bytes through once their type is known from the first 4 KiB, and fails at the end of
 * the input (never in the middle, so the request is always read to its end and the client gets
 * the answer) when the type is not accepted, the file is empty, or it passes the size limit.
 */
export class UploadGuard extends Transform {
  size = 0;
  sniffed?: Sniffed;
  private head: Buffer[] = [];
  private headLength = 0;
  /** Why the file is refused, as a catalogue code (its English words go into EvidenceRefused). */
  refusal?: Refusal;

  constructor(
    private readonly fileName: string,
    private readonly maxBytes: number,
  ) {
    super();
  }

  private decide(): void {
    const head = Buffer.concat(this.head);
    this.sniffed = sniff(head, this.fileName);
    if (!this.sniffed) this.refusal = refusalOf('evidence_file_type', { found: describeHead(head) });
    else this.push(head);
    this.head = [];
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes)
      this.refusal = refusalOf('evidence_too_large', { limit: megabytes(this.maxBytes), bytes: this.maxBytes });
    if (this.refusal) return done();
    if (this.sniffed) return done(null, chunk);
    this.head.push(chunk);
    this.headLength += chunk.length;
    if (this.headLength >= 4096) this.decide();
    done();
  }

  override _flush(done: TransformCallback): void {
    if (!this.refusal && this.size === 0) this.refusal = refusalOf('evidence_empty', {});
    if (!this.refusal && !this.sniffed) this.decide();
    done(
      this.refusal
        ? new EvidenceRefused(
            message(this.refusal.code, this.refusal.params as never, 'en').replace(/^evidence refused: /, ''),
          )
        : undefined,
    );
  }
}
