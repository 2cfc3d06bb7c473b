// A problem found on inspection (问题台账): who it is assigned to, where, what was found, and the
// Updates that carry it from 交办 through 整改 and 核查 to 销号. Kept apart from the obligation
// model: workflows/problem-state.ts loads this module (and zod) only with the first Update.
import { z } from 'zod';
import { localDate } from './local-date';
import { LIMITS, utf8Bytes } from './limits';
import { actor } from './updates';

const bytes = (max: number) =>
  z.string().refine((s) => utf8Bytes(s) <= max, `is longer than ${max} bytes (UTF-8; a Chinese character takes 3)`);
const reason = bytes(LIMITS.reasonBytes).refine((s) => s.trim().length > 0, 'a reason is required');

/** 统一社会信用代码: 18 characters, digits and capitals without I, O, S, V, Z. */
export const creditCode = z
  .string()
  .regex(/^[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}$/, 'is not a 统一社会信用代码');

/** A problem number as teams write it: letters, digits, - and _ (it becomes part of a workflow ID). */
export const problemNumber = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'may hold only letters, digits, - and _');

/** The rectification rule of a category: 立行立改 within N working days, or 限期整改 by a date the office sets. */
export const rectificationRule = z.discriminatedUnion('type', [
  z.object({ type: z.literal('立行立改'), workingDays: z.number().int().positive() }),
  z.object({
    type: z.literal('限期整改'),
    /** Calendar days from 交办 when the office names no date. */
    defaultDays: z.number().int().positive().optional(),
  }),
]);
export type RectificationRule = z.infer<typeof rectificationRule>;

export const ladderStep = z.object({
  kind: z.enum(['催办', '预警', '约谈', '专项督察']),
  /** Working days after the due date; the step goes out at the sending time of that day. */
  workingDays: z.number().int().positive(),
  template: z.string().min(1),
});
export type ProblemLadderStep = z.infer<typeof ladderStep>;

export const problemCategory = z.object({
  name: z.string().min(1),
  rule: rectificationRule,
  ladder: z.array(ladderStep).min(1).optional(),
});

export const problemPolicy = z
  .object({
    sending: z.object({ at: z.string().regex(/^\d{2}:\d{2}$/) }).default({ at: '09:00' }),
    ladder: z.array(ladderStep).min(1),
    categories: z.array(problemCategory).min(1),
    /** 反弹: a problem found again at the same site within this many days of its 销号 reopens as a rebound. */
    rebound: z.object({ windowDays: z.number().int().positive() }).default({ windowDays: 365 }),
    /**
     * Inspection teams (检查组): each an id (a `team` user's org, as an assignee's is its
     * organisation code), its Chinese name, and the cities (or provinces, with their cities) it
     * works in. A team's users see and act on those cities' problems only. No user names here:
     * users are added with `lantian user add <name> --role team --team <id>`.
     */
    teams: z
      .array(
        z
          .object({
            id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'is not a short slug (a-z, 0-9 and -)'),
            name: z.string().min(1),
            orgs: z.array(z.string().min(1)).min(1),
          })
          // A file from before team users named them here: said, not silently dropped.
          .strict(),
      )
      .default([]),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.categories.forEach((c, i) => {
      if (seen.has(c.name))
        ctx.addIssue({ code: 'custom', path: ['categories', i, 'name'], message: `${c.name} twice` });
      seen.add(c.name);
    });
    const check = (steps: ProblemLadderStep[], at: (string | number)[]) =>
      steps.forEach((s, i) => {
        if (i > 0 && s.workingDays <= steps[i - 1].workingDays)
          ctx.addIssue({ code: 'custom', path: [...at, i, 'workingDays'], message: 'must come after the step before' });
      });
    const ids = new Set<string>();
    p.teams.forEach((t, i) => {
      if (ids.has(t.id)) ctx.addIssue({ code: 'custom', path: ['teams', i, 'id'], message: `${t.id} twice` });
      ids.add(t.id);
    });
    check(p.ladder, ['ladder']);
    p.categories.forEach((c, i) => c.ladder && check(c.ladder, ['categories', i, 'ladder']));
  });
export type ProblemPolicy = z.infer<typeof problemPolicy>;

/** One problem as an inspection team records it (a row of its spreadsheet). */
export const problemFound = z.object({
  number: problemNumber,
  assignee: z.object({ code: z.string().min(1), name: z.string().min(1) }),
  site: z.object({ name: z.string().min(1).pipe(bytes(500)), creditCode: creditCode.optional() }),
  category: z.string().min(1),
  description: z.string().min(1).pipe(bytes(LIMITS.noteBytes)),
  foundDate: localDate,
  team: z.string().min(1).pipe(bytes(200)),
  clause: z.string().pipe(bytes(200)).optional(),
});
export type ProblemFound = z.infer<typeof problemFound>;

/** The problem workflow's input: the problem, its category's rule and ladder, and who sends its notices. */
export interface ProblemInput extends ProblemFound {
  campaignId: string;
  season: number;
  rule: RectificationRule;
  ladder: ProblemLadderStep[];
  office: { name: string; abbreviation: string; email: string };
  timezone: string;
  sending: { at: string };
  /** Public keys (hex) whose signatures the workflow accepts on Updates (domain/actor-proof.ts). */
  actorKeys?: string[];
  /** 反弹: the closed problem at the same site this one finds again. */
  reboundOf?: ReboundLink;
  /** Photos the team took when it found the problem (in the evidence store, by sha256). */
  photos?: ProblemPhoto[];
}

export interface ProblemPhoto {
  sha256: string;
  size: number;
  fileName: string;
  mediaType: string;
}

/** The first problem a rebound finds again: its workflow, number and when it was closed. */
export interface ReboundLink {
  workflowId: string;
  number: string;
  closedAt: string;
}

export type Actor = z.infer<typeof actor>;

// ------------------------------------------------------------------ Updates

/** 交办: the office or a team assigns the problem; a 限期整改 problem needs its date unless the category has a default. */
export const assignment = z.object({ actor, dueDate: localDate.optional(), note: bytes(LIMITS.noteBytes).optional() });
export type Assignment = z.infer<typeof assignment>;

/** 整改方案: the city's plan and the date it means to finish by (no later than the deadline). */
export const rectificationPlan = z.object({
  actor,
  plan: z.string().min(1).pipe(bytes(LIMITS.noteBytes)),
  completeBy: localDate,
});
export type RectificationPlan = z.infer<typeof rectificationPlan>;

export const rectificationEvidence = z.object({
  actor,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest'),
  size: z.number().int().positive('is empty: an evidence file must have content'),
  fileName: z.string().min(1).pipe(bytes(LIMITS.fileNameBytes)),
  mediaType: z.string().min(1),
  note: bytes(LIMITS.noteBytes).optional(),
});
export type RectificationEvidence = z.infer<typeof rectificationEvidence>;

/** 核查: accept (销号) or reject with a reason; a rejection may move the due date. */
export const verification = z
  .object({ actor, decision: z.enum(['accept', 'reject']), reason: reason.optional(), dueDate: localDate.optional() })
  .refine((v) => v.decision === 'accept' || v.reason, { message: 'a rejection needs a reason', path: ['reason'] })
  .refine((v) => v.decision === 'reject' || !v.dueDate, {
    message: 'only a rejection moves the due date',
    path: ['dueDate'],
  });
export type Verification = z.infer<typeof verification>;

/** 举一反三: similar problems the city found and fixed on its own, reported beside this one. */
export const similarReport = z.object({
  actor,
  items: z
    .array(
      z.object({
        site: z.string().min(1).pipe(bytes(500)),
        description: z.string().min(1).pipe(bytes(LIMITS.noteBytes)),
        fixedOn: localDate,
      }),
    )
    .min(1)
    .max(50),
});
export type SimilarReport = z.infer<typeof similarReport>;
export type SimilarProblem = SimilarReport['items'][number] & { at: string; actor: Actor };

// ------------------------------------------------------------------ record

export const problemStates = ['排查', '交办', '整改中', '待核查', '已销号'] as const;
export type ProblemStateName = (typeof problemStates)[number];

export interface ProblemEvent {
  type:
    | 'found'
    | 'assigned'
    | 'plan-submitted'
    | 'evidence-submitted'
    | 'verified'
    | 'rejected'
    | 'deadline-passed'
    | 'escalated'
    | 'escalation-held'
    | 'notice-failed'
    | 'similar-reported';
  at: string;
  actor: Actor;
  reason?: string;
  level?: number;
  step?: string;
  dueDate?: string;
  notice?: string;
}

/** A planned ladder step: its key, level and instant. */
export interface ProblemStepEntry {
  key: string;
  level: number;
  kind: ProblemLadderStep['kind'];
  template: string;
  at: string;
}

export interface ProblemPlan {
  dueDate: string;
  /** The end of the due day (its midnight, local time) as an instant. */
  deadline: string;
  steps: ProblemStepEntry[];
}

export interface ProblemNoticeSummary {
  key: string;
  kind: string;
  level?: number;
  documentNumber?: string;
  subject: string;
  sentAt: string;
}

export interface ProblemRecord {
  workflowId: string;
  number: string;
  campaignId: string;
  season: number;
  assignee: { code: string; name: string };
  site: { name: string; creditCode?: string };
  category: string;
  description: string;
  foundDate: string;
  team: string;
  clause?: string;
  rule: RectificationRule;
  state: ProblemStateName;
  overdue: boolean;
  level: number;
  dueDate?: string;
  deadline?: string;
  plan?: { text: string; completeBy: string; at: string };
  evidence: (RectificationEvidence & { id: string; at: string; state: 'pending' | 'accepted' | 'rejected' })[];
  notices: ProblemNoticeSummary[];
  timeline: ProblemEvent[];
  closedAt?: string;
  reboundOf?: ReboundLink;
  photos?: ProblemPhoto[];
  /** 举一反三 reports, counted on the city's ledger. */
  similar?: SimilarProblem[];
}

/** `lantian-problem:<campaign>:<season>:<number>`: a number imported twice finds the workflow already there. */
export function problemWorkflowId(campaignId: string, season: number, number: string): string {
  return `lantian-problem:${campaignId}:${season}:${number}`;
}
