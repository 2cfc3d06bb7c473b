// What a signed-in user may read and change, shared by the JSON API and the pages. Scoping is
// decided here (an assignee's reach is its own organisation; another's obligation is "not
// found", so ids are not confirmed); the workflow's Update validators check the same actor again.
import type { Readable } from 'node:stream';
import type { Client } from '@temporalio/client';
import {
  ApplicationFailure,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  QueryNotRegisteredError,
} from '@temporalio/client';
import { REFUSED } from '../workflows/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor, ObligationRecord, Receipt } from '../domain/obligation';
import {
  obligationRecord,
  review,
  extend,
  correctDueDate,
  acknowledge,
  waive,
  type ObligationSummary,
} from '../client/obligations';
import { submitEvidence } from '../workflows/api';
import { EvidenceRefused } from '../storage/evidence-store';
import { ObjectStoreUnavailable } from '../storage/object-store';
import type { dataPaths } from '../config/env';
import type { PolicySet } from '../planner/load';
import type { WorkingCalendar } from '../domain/calendar';
import type { User, Users } from '../auth/users';
import type { Stores } from '../storage/stores';
import type { ObligationIndex } from './read-model';
import { UploadGuard, sanitiseFileName, megabytes } from './upload';
import { explainChange } from '../client/explain';
import { cleanText, parseQuantity, QUANTITY_MAX, QUANTITY_DECIMALS } from '../client/input';
import { message, refusalOf, type MessageCode, type MessageParams } from '../i18n/messages';
import { refusalMessage } from '../i18n/refusals';
import type { SeasonWindow } from '../client/seasons';

export interface WebDeps {
  client: Client;
  users: Users;
  /** Evidence files, letters and the archive: the data folder, or PostgreSQL and the object store. */
  stores: Pick<Stores, 'evidence' | 'letters' | 'archive'>;
  index: ObligationIndex;
  policies: PolicySet;
  calendar: WorkingCalendar;
  paths: ReturnType<typeof dataPaths>;
  taskQueue: string;
  maxUploadBytes: number;
  sessionHours: number;
  /** Seasons that may be launched around the one under way (LANTIAN_SEASON_WINDOW). */
  seasonWindow: SeasonWindow;
  /** Session cookies always Secure (LANTIAN_COOKIE_SECURE); otherwise Secure when the request came over HTTPS. */
  cookieSecure: boolean;
}

/**
 * A refusal: the status, a stable English `code` (snake_case, for programs) and the `message` a
 * person reads (Chinese, from i18n/messages.ts). Built with `httpRefusal`; a bare message gets
 * the status's generic code.
 */
export class HttpError extends Error {
  readonly code: string;
  constructor(
    readonly status: number,
    message: string,
    code?: string,
    /** Lines a reader may need beside the message (a policy file's errors). */
    readonly details?: string[],
  ) {
    super(message);
    this.name = 'HttpError';
    this.code = code ?? genericCode(status);
  }
}

/** The catalogue's message `code` as a refusal with `status`. */
export function httpRefusal<C extends MessageCode>(
  status: number,
  code: C,
  params: MessageParams<C>,
  details?: string[],
): HttpError {
  return new HttpError(status, message(code, params), code, details);
}

/** The code of a refusal that has none of its own. */
export function genericCode(status: number): string {
  return (
    {
      400: 'bad_request',
      401: 'unauthorized',
      403: 'forbidden',
      404: 'not_found',
      405: 'method_not_allowed',
      409: 'conflict',
      413: 'too_large',
      415: 'unsupported_media_type',
      422: 'unprocessable',
      429: 'too_many_requests',
      500: 'internal_error',
      503: 'unavailable',
    }[status] ?? 'error'
  );
}

/** An obligation's actor; an inspection team (检查组) has no business with obligations. */
export const actorOf = (u: User): Actor => {
  if (u.role === 'team') throw httpRefusal(403, 'forbidden_role', { role: u.role, action: 'change an obligation' });
  return { role: u.role, id: u.name, ...(u.org ? { org: u.org } : {}) };
};

/** `action`: what the user tried, in the English words i18n/messages.ts `actionWords` translates. */
export function requireRole(u: User, roles: User['role'][], action: string): void {
  if (!roles.includes(u.role)) throw httpRefusal(403, 'forbidden_role', { role: u.role, action });
}

/** Visibility filter narrowed to what the user may see. */
export function scopeFilter<T extends { assignee?: string }>(u: User, f: T): T {
  return u.role === 'assignee' ? { ...f, assignee: u.org } : f;
}

/** The obligation's record if the user may see it (without server paths); 404 otherwise, whatever the reason. */
export async function readScoped(d: WebDeps, u: User, workflowId: string): Promise<ObligationRecord> {
  if (u.role === 'team') throw httpRefusal(403, 'forbidden_role', { role: u.role, action: 'read obligations' });
  let rec: ObligationRecord;
  try {
    rec = await obligationRecord(d.client, d.stores.archive, workflowId);
  } catch (e) {
    if (
      e instanceof WorkflowNotFoundError ||
      e instanceof QueryNotRegisteredError ||
      /workflow not found|unknown queryType/i.test((e as Error).message)
    ) {
      throw httpRefusal(404, 'obligation_not_found', { id: workflowId });
    }
    throw e;
  }
  if (u.role === 'assignee' && rec.input.assignee.code !== u.org)
    throw httpRefusal(404, 'obligation_not_found', { id: workflowId });
  return publicRecord(rec);
}

/**
 * A record as the API and pages show it: a notice's `location` (the server's path to its .eml
 * file) is the server's business, not its reader's.
 */
export function publicNotice<T extends { location?: string }>(n: T): Omit<T, 'location'> {
  const { location: _location, ...rest } = n;
  return rest;
}

export function publicRecord(rec: ObligationRecord): ObligationRecord {
  const strip = <T extends { location?: string }>(n: T): Omit<T, 'location'> => {
    const { location: _location, ...rest } = n;
    return rest;
  };
  return {
    ...rec,
    notices: rec.notices.map(strip),
    timeline: rec.timeline.map((e) => (e.notice ? { ...e, notice: strip(e.notice) } : e)),
  };
}

/** Media types a browser shows in place (preview); every other file is downloaded under its own name. */
export const INLINE_TYPES = new Set(['application/pdf', 'image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** `Content-Disposition` with the original name: an ASCII fallback and RFC 5987 `filename*` in UTF-8. */
export function contentDisposition(kind: 'inline' | 'attachment', fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%;]/g, '_') || 'evidence';
  const utf8 = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}

export interface EvidenceFile {
  /** The bytes, from the data folder or the object store. */
  open(): Promise<Readable>;
  fileName: string;
  mediaType: string;
  size: number;
  inline: boolean;
}

/** What a download needs to know of one piece of evidence; none of it changes once submitted. */
interface KnownEvidence {
  sha256: string;
  fileName: string;
  mediaType: string;
  /** The obligation's assignee (never reassigned), for an assignee's scope. */
  assignee: string;
  size: number;
}

/** Evidence downloads remembered, so that opening a file again does not query its workflow. */
const EVIDENCE_CACHE_SIZE = 4096;

/** A Map in insertion order as a least-recently-used cache: a hit moves to the end, the oldest goes first. */
class EvidenceCache {
  private readonly entries = new Map<string, KnownEvidence>();
  get(key: string): KnownEvidence | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }
  set(key: string, value: KnownEvidence): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > EVIDENCE_CACHE_SIZE) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** One cache per web app: tests run several in one process, with the same workflow ids. */
const evidenceCaches = new WeakMap<WebDeps, EvidenceCache>();
const evidenceCache = (d: WebDeps) =>
  evidenceCaches.get(d) ?? (evidenceCaches.set(d, new EvidenceCache()), evidenceCaches.get(d)!);

/**
 * An evidence file the user may open (an assignee: its own organisation's; another's is 404 like
 * the record), read from the content-addressed store. Each opening is recorded in the users
 * database (who, when), not in the workflow: reading changes nothing about the obligation.
 * Evidence is immutable once submitted and the store keyed by its content, so after the first
 * download the workflow is not queried again; the scope is checked on the remembered assignee.
 */
export async function evidenceFileAs(
  d: WebDeps,
  u: User,
  id: string,
  evidenceId: string,
  /** false for HEAD: nothing is downloaded. */
  record = true,
): Promise<EvidenceFile> {
  // As readScoped refuses, before the cache could answer in its place.
  if (u.role === 'team') throw httpRefusal(403, 'forbidden_role', { role: u.role, action: 'read obligations' });
  const cache = evidenceCache(d);
  const key = JSON.stringify([id, evidenceId]);
  let e = cache.get(key);
  if (e) {
    if (u.role === 'assignee' && e.assignee !== u.org) throw httpRefusal(404, 'obligation_not_found', { id });
  } else {
    const rec = await readScoped(d, u, id);
    const found = rec.evidence.find((x) => x.id === evidenceId);
    if (!found) throw httpRefusal(404, 'evidence_not_found', { evidence: evidenceId });
    const stored = await storeCall(() => d.stores.evidence.head(found.sha256));
    if (!stored) throw httpRefusal(404, 'evidence_not_stored', { evidence: evidenceId });
    e = { ...pickEvidence(found), assignee: rec.input.assignee.code, size: stored.size };
    cache.set(key, e);
  }
  return storedFile(d, e, e.size, record ? () => d.users.recordDownload(id, evidenceId, u) : undefined, evidenceId);
}

/**
 * A stored file as the answer will send it (an obligation's evidence, a problem's photo or
 * evidence). The download is recorded once the store hands over the bytes: a file the store no
 * longer gives was not downloaded.
 */
export function storedFile(
  d: WebDeps,
  f: { sha256: string; fileName: string; mediaType: string },
  size: number,
  recordDownload: (() => unknown) | undefined,
  /** How a refusal names the file. */
  label: string,
): EvidenceFile {
  return {
    open: async () => {
      const s = await storeCall(() => d.stores.evidence.stream(f.sha256));
      if (!s) throw httpRefusal(404, 'evidence_not_stored', { evidence: label });
      try {
        await recordDownload?.();
      } catch (err) {
        s.destroy();
        throw err;
      }
      return s;
    },
    fileName: f.fileName,
    mediaType: f.mediaType,
    size,
    inline: INLINE_TYPES.has(f.mediaType),
  };
}

const pickEvidence = ({ sha256, fileName, mediaType }: ObligationRecord['evidence'][number]) => ({
  sha256,
  fileName,
  mediaType,
});

/**
 * A call to the object store: an outage is "not now" (503, in Chinese), never a half-stored
 * upload or a 500.
 */
export async function storeCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ObjectStoreUnavailable) throw httpRefusal(503, 'unavailable_storage', {});
    throw e;
  }
}

/** The file as the answer: its type, its name, not sniffed, sandboxed, frameable by the app's own pages only. */
export async function sendEvidence(reply: FastifyReply, f: EvidenceFile) {
  const body = await f.open();
  return reply
    .type(f.mediaType)
    .header('content-disposition', contentDisposition(f.inline ? 'inline' : 'attachment', f.fileName))
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox; frame-ancestors 'self'")
    .header('x-frame-options', 'SAMEORIGIN')
    .header('content-length', String(f.size))
    .send(body);
}

/**
 * Runs one Update; a refusal by the workflow becomes 409 with its reason. The app's copy of the
 * obligation follows from the workflow's record, read after the answer is on its way.
 */
async function update<T>(d: WebDeps, workflowId: string, fn: () => Promise<T>): Promise<T> {
  try {
    const r = await fn();
    d.index.follow(() => obligationRecord(d.client, d.stores.archive, workflowId));
    return r;
  } catch (e) {
    if (e instanceof WorkflowUpdateFailedError || e instanceof WorkflowNotFoundError)
      throw await changeRefused(d, e, workflowId);
    throw e;
  }
}

/**
 * A workflow's refusal as the web answers it: the code its validator sent in the failure's
 * details, in Chinese; a closed obligation (Temporal says "not found") by its status.
 */
export async function changeRefused(d: WebDeps, e: unknown, workflowId: string): Promise<HttpError> {
  const cause = (e as { cause?: unknown }).cause;
  if (cause instanceof ApplicationFailure && cause.type === REFUSED) {
    const detail = cause.details?.[0] as { code?: string; params?: unknown } | undefined;
    const said = refusalMessage(detail);
    if (said !== undefined && detail?.code) return new HttpError(409, said, detail.code);
  }
  const explained = (await explainChange(d.client, e, workflowId)).message;
  const closed = / is closed \(([^)]+)\)/.exec(explained);
  if (closed) return httpRefusal(409, 'obligation_closed_final', { id: workflowId, status: closed[1] });
  if (e instanceof WorkflowNotFoundError) return httpRefusal(404, 'obligation_not_found', { id: workflowId });
  // A refusal without a code (a worker older than the catalogue): its own words, said to be a refusal.
  return new HttpError(409, explained.replace(/ \(see `obligation show [^`]*`\)/, ''), 'refused');
}

export async function reviewAs(
  d: WebDeps,
  u: User,
  id: string,
  evidenceId: string,
  decision: 'accept' | 'reject',
  reason?: string,
) {
  await readScoped(d, u, id);
  requireRole(u, ['office'], 'review evidence');
  return update(d, id, () => review(d.client, id, actorOf(u), evidenceId, decision, reason));
}

export async function extendAs(d: WebDeps, u: User, id: string, dueDate: string, reason: string, confirmed?: boolean) {
  await readScoped(d, u, id);
  requireRole(u, ['office'], 'extend a deadline');
  return update(d, id, () => extend(d.client, id, actorOf(u), dueDate, reason, confirmed));
}

/** A due date entered wrong, corrected earlier or later. */
export async function correctAs(d: WebDeps, u: User, id: string, dueDate: string, reason: string, confirmed?: boolean) {
  await readScoped(d, u, id);
  requireRole(u, ['office'], 'correct a due date');
  return update(d, id, () => correctDueDate(d.client, id, actorOf(u), dueDate, reason, confirmed));
}

/** 签收 of a letter by a user of the addressed organisation (the workflow checks the organisation again). */
export async function acknowledgeAs(d: WebDeps, u: User, id: string, notice: string) {
  await readScoped(d, u, id);
  requireRole(u, ['assignee'], 'acknowledge a letter');
  return publicNotice(await update(d, id, () => acknowledge(d.client, id, actorOf(u), notice)));
}

export async function waiveAs(d: WebDeps, u: User, id: string, reason: string) {
  await readScoped(d, u, id);
  requireRole(u, ['office'], 'waive an obligation');
  return update(d, id, () => waive(d.client, id, actorOf(u), reason));
}

/**
 * The quantity an obligation counts, as the policy loaded by this app says. The workflow's own
 * input is the judge (its validator refuses a missing quantity too); this only lets the app give
 * the same early answer whether or not its copy of visibility knew the workflow.
 */
function countedByPolicy(d: WebDeps, row: ObligationSummary): { unit: string } | undefined {
  const o = d.policies.campaigns.get(row.campaign ?? '')?.obligations.find((x) => x.id === row.obligation);
  const value = o?.quantity && (o.quantity.perAssignee?.[row.assignee ?? ''] ?? o.quantity.default);
  return o?.quantity && value !== undefined ? { unit: o.quantity.unit } : undefined;
}

export interface UploadResult {
  receipt: Receipt;
  fileName: string;
  mediaType: string;
}

/**
 * A multipart upload: fields `note` and `quantity` and one `file`. A browser form sends its CSRF
 * token as the field `_csrf` before the file; `csrf(token)` says whether the request may proceed.
 */
export async function uploadAs(
  d: WebDeps,
  u: User,
  id: string,
  req: FastifyRequest,
  csrf: (fieldToken?: string) => boolean,
): Promise<UploadResult> {
  // Whose obligation it is comes from the app's copy of visibility when it knows the workflow
  // (an assignee never changes), saving a query that on a large worker replays the workflow;
  // the workflow's own validator remains the judge of everything else.
  const known = d.index.known(id);
  const rec = known ? undefined : await readScoped(d, u, id);
  if (known && u.role === 'assignee' && known.assignee !== u.org)
    throw httpRefusal(404, 'obligation_not_found', { id });
  requireRole(u, ['assignee'], 'submit evidence');
  if (!req.isMultipart()) throw httpRefusal(415, 'evidence_not_multipart', {});
  const fields: Record<string, string> = {};
  let stored: { sha256: string; size: number; existed: boolean; fileName: string; mediaType: string } | undefined;
  let csrfOk = csrf(undefined);
  let refusal: HttpError | undefined;
  // A refused upload keeps nothing: the file is removed unless the store already held it.
  const discard = () =>
    stored && !stored.existed ? d.stores.evidence.remove(stored.sha256).catch(() => undefined) : undefined;
  try {
    // One byte over the limit is enough to refuse; busboy discards the rest of an oversized file.
    for await (const part of req.parts({
      preservePath: true,
      throwFileSizeLimit: false,
      limits: { fileSize: d.maxUploadBytes + 1, files: 1, fields: 10 },
    } as Parameters<FastifyRequest['parts']>[0])) {
      if (part.type === 'field') {
        if (!uploadFields.includes(part.fieldname))
          refusal ??= httpRefusal(400, 'evidence_unknown_field', { field: part.fieldname });
        fields[part.fieldname] = String(part.value);
        if (part.fieldname === '_csrf') csrfOk = csrf(String(part.value));
        continue;
      }
      // Whatever happens to it, a file part is read to its end so the client gets an answer.
      if (refusal || stored || part.fieldname !== 'file') {
        if (part.fieldname !== 'file') refusal ??= httpRefusal(400, 'evidence_file_field', { field: part.fieldname });
        part.file.resume();
        continue;
      }
      if (!csrfOk) {
        part.file.resume();
        refusal = httpRefusal(403, 'csrf_invalid', {});
        continue;
      }
      const name = sanitiseFileName(part.filename);
      if ('refused' in name) {
        part.file.resume();
        refusal = httpRefusal(422, name.refused.code, name.refused.params as never);
        continue;
      }
      const guard = new UploadGuard(name.name, d.maxUploadBytes);
      try {
        const s = await storeCall(() => d.stores.evidence.putStream(part.file.pipe(guard), d.maxUploadBytes));
        stored = { ...s, fileName: name.name, mediaType: guard.sniffed!.mediaType };
      } catch (e) {
        if (!(e instanceof EvidenceRefused)) throw e;
        // The guard says why in the catalogue's words; the store's own refusals are size and emptiness.
        const why =
          guard.refusal ??
          (/larger than/.test(e.reason)
            ? refusalOf('evidence_too_large', { limit: megabytes(d.maxUploadBytes), bytes: d.maxUploadBytes })
            : refusalOf('evidence_empty', {}));
        refusal = httpRefusal(why.code === 'evidence_too_large' ? 413 : 422, why.code, why.params as never);
      }
    }
  } catch (e) {
    await discard();
    throw malformedUpload(e);
  }
  try {
    if (refusal) throw refusal;
    if (!csrfOk) throw httpRefusal(403, 'csrf_invalid', {});
    if (!stored) throw httpRefusal(422, 'evidence_no_file', {});
    return await submitStored(d, u, id, stored, fields, rec, known);
  } catch (e) {
    await discard();
    throw e;
  }
}

/** The fields an upload may carry beside its file (`_csrf`: a browser form's token). */
const uploadFields = ['note', 'quantity', '_csrf'];

/** A multipart body that is not one (no boundary, cut short) or carries too much: a bad request. */
function malformedUpload(e: unknown): unknown {
  const x = e as { code?: string; message?: string };
  if (['FST_FILES_LIMIT', 'FST_FIELDS_LIMIT', 'FST_PARTS_LIMIT'].includes(x.code ?? ''))
    return httpRefusal(400, 'evidence_too_many_parts', {});
  if (x.code === 'FST_PROTO_VIOLATION' || /^(Multipart|Malformed|Unexpected end of)/i.test(x.message ?? ''))
    return httpRefusal(400, 'evidence_malformed', {});
  return e;
}

async function submitStored(
  d: WebDeps,
  u: User,
  id: string,
  stored: { sha256: string; size: number; existed: boolean; fileName: string; mediaType: string },
  fields: Record<string, string>,
  rec: ObligationRecord | undefined,
  known: ReturnType<WebDeps['index']['known']>,
): Promise<UploadResult> {
  // A plain decimal within bounds: 0x10, 1e300 and Infinity are typos, not quantities.
  const parsed = fields.quantity?.trim() ? parseQuantity(fields.quantity) : undefined;
  if (parsed && 'refused' in parsed)
    throw httpRefusal(422, 'quantity_invalid', {
      value: fields.quantity,
      max: QUANTITY_MAX.toLocaleString('zh-CN'),
      decimals: QUANTITY_DECIMALS,
    });
  const quantity = parsed?.value;
  // Bidirectional controls out of the note before it is stored and shown.
  if (fields.note !== undefined) fields.note = cleanText(fields.note);
  const counts = rec ? rec.input.quantity : known && countedByPolicy(d, known);
  if (counts && quantity === undefined) throw httpRefusal(422, 'evidence_quantity_required', { unit: counts.unit });
  const s = stored;
  const receipt = await update(d, id, () =>
    d.client.workflow.getHandle(id).executeUpdate(submitEvidence, {
      args: [
        {
          actor: actorOf(u),
          sha256: s.sha256,
          size: s.size,
          fileName: s.fileName,
          mediaType: s.mediaType,
          ...(fields.note?.trim() ? { note: fields.note.trim() } : {}),
          ...(quantity !== undefined ? { quantity } : {}),
        },
      ],
    }),
  );
  // Whether the store already held these bytes (perhaps from another organisation) is not said.
  return { receipt, fileName: s.fileName, mediaType: s.mediaType };
}
