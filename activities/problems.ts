// A problem's I/O: when its deadline and ladder steps fall (a pure computation on the worker's
// calendar, run as a local activity like planning.ts), and its 交办 notice and ladder letters,
// each through the one notice pipeline with its 文号, once per (workflow, step).
import { DateTime } from 'luxon';
import type { EarlierLetter, NoticeRecord } from '../domain/obligation';
import type { ProblemInput, ProblemPlan } from '../domain/problem';
import type { ContactRole } from '../domain/policy-schema';
import { problemNoticeContext } from '../notices/context';
import { noticeKey } from '../domain/ids';
import type { ActivityDeps } from './deps';
import { noticePipeline } from './notices';
import { problemTemplatesDir } from '../planner/problems';

export interface ProblemPlanRequest extends Pick<ProblemInput, 'rule' | 'ladder' | 'timezone' | 'sending'> {
  assignedAt: number;
  /** The date the office set (限期整改), or a moved date after a rejection; the rule's otherwise. */
  dueDate?: string;
}

export interface ProblemNoticeRequest {
  workflowId: string;
  /** 'assignment' (交办) or a ladder step's key. */
  entry: string;
  kind: string;
  level?: number;
  template: string;
  problem: ProblemInput;
  dueDate: string;
  issuedAt: number;
  /** The ladder's letters already issued for this problem, oldest first: what a letter may cite. */
  earlier?: EarlierLetter[];
}

const LETTER_ROLES: Record<string, ContactRole[]> = {
  约谈: ['government', 'environment-bureau'],
  专项督察: ['government', 'environment-bureau'],
};

export function createProblemActivities(deps: ActivityDeps) {
  const issue = noticePipeline(deps);
  return {
    async planProblem(req: ProblemPlanRequest): Promise<ProblemPlan> {
      const assigned = DateTime.fromMillis(req.assignedAt, { zone: req.timezone }).toISODate()!;
      let dueDate = req.dueDate;
      if (!dueDate && req.rule.type === '立行立改')
        dueDate = deps.calendar.addWorkingDays(assigned, req.rule.workingDays);
      if (!dueDate && req.rule.type === '限期整改' && req.rule.defaultDays)
        dueDate = DateTime.fromISO(assigned, { zone: req.timezone }).plus({ days: req.rule.defaultDays }).toISODate()!;
      if (!dueDate) throw new RangeError('a 限期整改 problem needs the date the office sets');
      const deadline = DateTime.fromISO(dueDate, { zone: req.timezone }).plus({ days: 1 }).startOf('day');
      const [h, m] = req.sending.at.split(':').map(Number);
      const steps = req.ladder.map((s, i) => {
        const date = deps.calendar.addWorkingDays(dueDate, s.workingDays);
        const at = DateTime.fromISO(date, { zone: req.timezone }).set({ hour: h, minute: m });
        return {
          key: `step:${i + 1}@${dueDate}`,
          level: i + 1,
          kind: s.kind,
          template: s.template,
          at: at.toUTC().toISO()!,
        };
      });
      return { dueDate, deadline: deadline.toUTC().toISO()!, steps };
    },

    /** The 交办 notice or a ladder letter: numbered in its year's 文号 sequence, once per (workflow, step). */
    async sendProblemNotice(req: ProblemNoticeRequest): Promise<NoticeRecord> {
      const p = req.problem;
      const issued = DateTime.fromMillis(req.issuedAt, { zone: p.timezone });
      const org = deps.organisations.get(p.assignee.code);
      return issue({
        key: noticeKey(req.workflowId, req.entry),
        label: `${req.workflowId} ${req.entry}`,
        kind: req.kind,
        ...(req.level !== undefined ? { level: req.level } : {}),
        assignee: p.assignee.code,
        roles: LETTER_ROLES[req.kind] ?? ['environment-bureau'],
        letter: true,
        office: p.office,
        template: { dir: problemTemplatesDir(deps.templatesDir), name: req.template },
        numberedIn: issued.year,
        issuedAt: req.issuedAt,
        context: (documentNumber) =>
          problemNoticeContext(req, documentNumber, org?.name ?? p.assignee.name, deps.calendar),
      });
    },
  };
}
