// A letter as the elements of a 公文 (GB/T 9704-2012): the rendered notice's text (what the
// e-mail says), restructured into 标题, 主送机关, 正文, 发文机关署名, 成文日期 and 附注, with the
// 发文字号 and the 抄送机关 from the pipeline. notices/pdf.ts lays these out on A4.
import type { Organisation } from '../domain/policy-schema';
import type { RenderedNotice } from './render';

export interface OfficialLetter {
  /** 发文机关标志: the issuing office's full name, in red above the 发文字号. */
  office: string;
  /** 发文字号 (the 文号); absent in a draft, whose line stays blank. */
  documentNumber?: string;
  /** 标题: 关于……的…… */
  title: string;
  /** 主送机关, without its colon. */
  addressee: string;
  /** 正文, one entry per paragraph. */
  body: string[];
  /** 发文机关署名. */
  signature: string;
  /** 成文日期, e.g. 2031年1月15日. */
  date: string;
  /** 附注, each already in brackets as the template wrote it. */
  notes: string[];
  /** 抄送机关: organisations, never addresses. */
  copies: string[];
  /** 印发机关 and 印发日期 of the 版记. */
  printedBy: string;
  printedOn: string;
}

export class LetterStructureError extends Error {
  constructor(reason: string) {
    super(`letter cannot be laid out as a 公文: ${reason}`);
    this.name = 'LetterStructureError';
  }
}

const DATE = /^\d{4}年\d{1,2}月\d{1,2}日$/;
/** A 文号 (or a preview's placeholder 〔2025〕×号) standing alone as the text's first block. */
const DOCUMENT_NUMBER = /〔\d{4}〕[\d×]+号$/;

/**
 * The rendered text of a letter template is: [文号], the addressee line ending in "：", the body
 * paragraphs, the signature block (office, then the date), then any bracketed reference. The 文号
 * comes from the registry (or is absent in a draft), not from the text.
 */
export function officialLetter(
  rendered: Pick<RenderedNotice, 'subject' | 'text' | 'title'>,
  meta: { documentNumber?: string; copies: string[] },
): OfficialLetter {
  const blocks = rendered.text
    .split(/\n[ \t]*\n/)
    .map((b) => b.replace(/\s+$/, '').replace(/^\n+/, ''))
    .filter((b) => b.trim() !== '');
  if (blocks.length && DOCUMENT_NUMBER.test(blocks[0].trim())) blocks.shift();
  const first = blocks[0]?.trim() ?? '';
  if (!/：$/.test(first) || first.includes('\n'))
    throw new LetterStructureError('its text must start with the addressee on a line of its own ending in "："');
  blocks.shift();
  const isSignature = (b: string) => {
    const lines = b.trim().split('\n');
    return lines.length >= 2 && DATE.test(lines.at(-1)!.trim());
  };
  let signatureAt = blocks.length - 1;
  while (signatureAt >= 0 && !isSignature(blocks[signatureAt])) signatureAt--;
  if (signatureAt < 1) throw new LetterStructureError('its text must end with the office and the date (2031年1月15日)');
  const signatureLines = blocks[signatureAt]
    .trim()
    .split('\n')
    .map((l) => l.trim());
  const date = signatureLines.pop()!;
  const signature = signatureLines.join('');
  const body = blocks
    .slice(0, signatureAt)
    .flatMap((b) => b.split('\n'))
    .map((l) => l.trim())
    .filter(Boolean);
  const notes = blocks
    .slice(signatureAt + 1)
    .flatMap((b) => b.split('\n'))
    .map((l) => l.trim())
    .filter(Boolean);
  return {
    office: signature,
    ...(meta.documentNumber ? { documentNumber: meta.documentNumber } : {}),
    title: rendered.title ?? titleFromSubject(rendered.subject),
    addressee: first.replace(/：$/, ''),
    body,
    signature,
    date,
    notes,
    copies: meta.copies,
    printedBy: signature,
    printedOn: date,
  };
}

/** A template without a "title:" line: its subject without the 【…】 tag. */
export function titleFromSubject(subject: string): string {
  return subject.replace(/^【[^】]*】\s*/, '').trim();
}

/**
 * The 抄送机关 of a letter: the organisations its copies go to, by the name the directory gives
 * each contact. The issuing office's own copy is its file copy, not a 抄送. A contact without a
 * name is named by its role: a supervisor is the parent organisation's leading-group office, any
 * other the organisation itself.
 */
export function copiedOrganisations(
  org: Organisation,
  cc: readonly string[],
  office: { email: string },
  organisationName: (code: string) => string | undefined = () => undefined,
): string[] {
  const names = cc
    .filter((address) => address !== office.email)
    .map((address) => {
      const contact = org.contacts.find((c) => c.email === address);
      if (contact?.name) return contact.name;
      const parent = org.parent ? organisationName(org.parent) : undefined;
      if (contact?.role === 'supervisor' && parent) return `${parent}大气污染防治领导小组办公室`;
      if (contact?.role === 'leading-group-office') return `${org.name}大气污染防治领导小组办公室`;
      return contact ? org.name : undefined;
    })
    .filter((n): n is string => n !== undefined);
  return [...new Set(names)];
}
