// What a signed-in user may read and change, shared by the JSON API and the pages. Scoping is
// decided here (an assignee's reach is its own organisation; another's obligation is "not
// found", so ids are not confirmed); the workflow's Update validators check the same actor again.
import fs from 'node:fs';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, QueryNotRegisteredError } from '@temporalio/client';
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
import { blobPath, storeEvidence, EvidenceRefused } from '../storage/evidence-store';
import type { dataPaths } from '../config/env';
import type { PolicySet } from '../planner/load';
import type { WorkingCalendar } from '../domain/calendar';
import type { User, UserStore } from '../auth/users';
import type { ObligationIndex } from './read-model';
import { UploadGuard, sanitiseFileName } from './upload';
import { explainChange } from '../client/explain';
import { cleanText, parseQuantity } from '../client/input';
import type { SeasonWindow } from '../client/seasons';

export interface WebDeps {
  client: Client;
  users: UserStore;
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

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const actorOf = (u: User): Actor => ({ role: u.role, id: u.name, ...(u.org ? { org: u.org } : {}) });

export function requireRole(u: User, roles: User['role'][], action: string): void {
  if (!roles.includes(u.role))
    throw new HttpError(403, `${/^[aeiou]/.test(u.role) ? 'an' : 'a'} ${u.role} may not ${action}`);
}

/** Visibility filter narrowed to what the user may see. */
export function scopeFilter<T extends { assignee?: string }>(u: User, f: T): T {
  return u.role === 'assignee' ? { ...f, assignee: u.org } : f;
}

/** The obligation's record if the user may see it (without server paths); 404 otherwise, whatever the reason. */
export async function readScoped(d: WebDeps, u: User, workflowId: string): Promise<ObligationRecord> {
  let rec: ObligationRecord;
  try {
    rec = await obligationRecord(d.client, d.paths.archive, workflowId);
  } catch (e) {
    if (
      e instanceof WorkflowNotFoundError ||
      e instanceof QueryNotRegisteredError ||
      /workflow not found|unknown queryType/i.test((e as Error).message)
    ) {
      throw new HttpError(404, `no obligation ${workflowId}`);
    }
    throw e;
  }
  if (u.role === 'assignee' && rec.input.assignee.code !== u.org)
    throw new HttpError(404, `no obligation ${workflowId}`);
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
  path: string;
  fileName: string;
  mediaType: string;
  size: number;
  inline: boolean;
}

/**
 * An evidence file the user may open (an assignee: its own organisation's; another's is 404 like
 * the record), read from the content-addressed store. Each opening is recorded in the users
 * database (who, when), not in the workflow: reading changes nothing about the obligation.
 */
export async function evidenceFileAs(
  d: WebDeps,
  u: User,
  id: string,
  evidenceId: string,
  /** false for HEAD: nothing is downloaded. */
  record = true,
): Promise<EvidenceFile> {
  const rec = await readScoped(d, u, id);
  const e = rec.evidence.find((x) => x.id === evidenceId);
  if (!e) throw new HttpError(404, `no evidence ${evidenceId} on obligation ${id}`);
  const file = blobPath(d.paths.evidence, e.sha256);
  if (!/^[0-9a-f]{64}$/.test(e.sha256) || !fs.existsSync(file))
    throw new HttpError(404, `evidence ${evidenceId} is not in the store`);
  if (record) d.users.recordDownload(id, evidenceId, u);
  return {
    path: file,
    fileName: e.fileName,
    mediaType: e.mediaType,
    size: fs.statSync(file).size,
    inline: INLINE_TYPES.has(e.mediaType),
  };
}

/** The file as the answer: its type, its name, not sniffed, sandboxed, frameable by the app's own pages only. */
export function sendEvidence(reply: FastifyReply, f: EvidenceFile) {
  return reply
    .type(f.mediaType)
    .header('content-disposition', contentDisposition(f.inline ? 'inline' : 'attachment', f.fileName))
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox; frame-ancestors 'self'")
    .header('x-frame-options', 'SAMEORIGIN')
    .header('content-length', String(f.size))
    .send(fs.createReadStream(f.path));
}

async function afterChange(d: WebDeps, workflowId: string): Promise<void> {
  const rec = await obligationRecord(d.client, d.paths.archive, workflowId).catch(() => undefined);
  if (rec) d.index.patch(rec);
}

/** Runs one Update; a refusal by the workflow becomes 409 with its reason. */
async function update<T>(d: WebDeps, workflowId: string, fn: () => Promise<T>): Promise<T> {
  try {
    const r = await fn();
    await afterChange(d, workflowId);
    return r;
  } catch (e) {
    if (e instanceof WorkflowUpdateFailedError || e instanceof WorkflowNotFoundError) {
      // The CLI's pointer to `obligation show` means nothing here: the page is the record.
      throw new HttpError(
        409,
        (await explainChange(d.client, e, workflowId)).message.replace(/ \(see `obligation show [^`]*`\)/, ''),
      );
    }
    throw e;
  }
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
  if (known && u.role === 'assignee' && known.assignee !== u.org) throw new HttpError(404, `no obligation ${id}`);
  requireRole(u, ['assignee'], 'submit evidence');
  if (!req.isMultipart()) throw new HttpError(415, 'evidence is sent as multipart/form-data with a field "file"');
  const fields: Record<string, string> = {};
  let stored: { sha256: string; size: number; existed: boolean; fileName: string; mediaType: string } | undefined;
  let csrfOk = csrf(undefined);
  let refusal: HttpError | undefined;
  // A refused upload keeps nothing: the file is removed unless the store already held it.
  const discard = () =>
    stored && !stored.existed && fs.rmSync(blobPath(d.paths.evidence, stored.sha256), { force: true });
  try {
    // One byte over the limit is enough to refuse; busboy discards the rest of an oversized file.
    for await (const part of req.parts({
      preservePath: true,
      throwFileSizeLimit: false,
      limits: { fileSize: d.maxUploadBytes + 1, files: 1, fields: 10 },
    } as Parameters<FastifyRequest['parts']>[0])) {
      if (part.type === 'field') {
        if (!uploadFields.includes(part.fieldname))
          refusal ??= new HttpError(
            400,
            `evidence refused: unknown field ${JSON.stringify(part.fieldname)}; the fields are note, quantity and file`,
          );
        fields[part.fieldname] = String(part.value);
        if (part.fieldname === '_csrf') csrfOk = csrf(String(part.value));
        continue;
      }
      // Whatever happens to it, a file part is read to its end so the client gets an answer.
      if (refusal || stored || part.fieldname !== 'file') {
        if (part.fieldname !== 'file')
          refusal ??= new HttpError(
            400,
            `evidence refused: a file in the field ${JSON.stringify(part.fieldname)}, not "file"`,
          );
        part.file.resume();
        continue;
      }
      if (!csrfOk) {
        part.file.resume();
        refusal = new HttpError(403, 'CSRF token missing or invalid');
        continue;
      }
      const name = sanitiseFileName(part.filename);
      if ('refused' in name) {
        part.file.resume();
        refusal = new HttpError(422, `evidence refused: ${name.refused}`);
        continue;
      }
      const guard = new UploadGuard(name.name, d.maxUploadBytes);
      try {
        const s = await storeEvidence(d.paths.evidence, part.file.pipe(guard), d.maxUploadBytes);
        stored = { ...s, fileName: name.name, mediaType: guard.sniffed!.mediaType };
      } catch (e) {
        if (!(e instanceof EvidenceRefused)) throw e;
        refusal = new HttpError(/larger than/.test(e.reason) ? 413 : 422, e.message);
      }
    }
  } catch (e) {
    discard();
    throw malformedUpload(e);
  }
  try {
    if (refusal) throw refusal;
    if (!csrfOk) throw new HttpError(403, 'CSRF token missing or invalid');
    if (!stored) throw new HttpError(422, 'evidence refused: no file in the field "file"');
    return await submitStored(d, u, id, stored, fields, rec, known);
  } catch (e) {
    discard();
    throw e;
  }
}

/** The fields an upload may carry beside its file (`_csrf`: a browser form's token). */
const uploadFields = ['note', 'quantity', '_csrf'];

/** A multipart body that is not one (no boundary, cut short) or carries too much: a bad request. */
function malformedUpload(e: unknown): unknown {
  const x = e as { code?: string; message?: string };
  if (['FST_FILES_LIMIT', 'FST_FIELDS_LIMIT', 'FST_PARTS_LIMIT'].includes(x.code ?? ''))
    return new HttpError(400, 'evidence refused: one file, and at most the fields note and quantity');
  if (x.code === 'FST_PROTO_VIOLATION' || /^(Multipart|Malformed|Unexpected end of)/i.test(x.message ?? ''))
    return new HttpError(400, `evidence refused: the multipart body is malformed (${x.message})`);
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
  if (parsed && 'refused' in parsed) throw new HttpError(422, `evidence refused: ${parsed.refused}`);
  const quantity = parsed?.value;
  // Bidirectional controls out of the note before it is stored and shown.
  if (fields.note !== undefined) fields.note = cleanText(fields.note);
  const counts = rec ? rec.input.quantity : known && countedByPolicy(d, known);
  if (counts && quantity === undefined)
    throw new HttpError(422, `evidence refused: this obligation counts ${counts.unit}; state the quantity achieved`);
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
