// Activities: all the I/O of Lantian's workflows, each small and idempotent.
//   planObligation     — when an obligation's reminders, deadline, steps, close and pace checks fall
//   sendNotice         — a reminder, escalation letter or pace warning, once per (workflow, step)
//   sendDigest         — one recipient's reminders of a day as one message (workflows/digest.ts)
//   archiveObligation  — keep the closed obligation's record beyond Temporal's retention
//   assessAirQuality, issueAssessmentAct — the assessment season (workflows/assessment.ts)
//   planProblem, sendProblemNotice — a problem found on inspection (workflows/problem.ts)
import type { ObligationRecord } from '../domain/obligation';
import { writeArchive } from '../storage/archive';
import { createAssessmentActivities } from './assessment';
import type { ActivityDeps } from './deps';
import { createNoticeActivities } from './notices';
import { createPlanningActivities } from './planning';
import { createProblemActivities } from './problems';

export type { ActivityDeps, DigestEnqueuer, DocumentNumberAllocator } from './deps';
export type { NoticeRequest } from '../notices/context';
export type { ObligationPlan, PlanRequest } from './planning';
export type { ProblemNoticeRequest, ProblemPlanRequest } from './problems';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createPlanningActivities(deps),
    ...createNoticeActivities(deps),
    ...createAssessmentActivities(deps),
    ...createProblemActivities(deps),
    async archiveObligation(record: ObligationRecord): Promise<string> {
      if (!deps.archive) return writeArchive(deps.archiveDir, record);
      await deps.archive.write(record);
      return `archive:${record.workflowId}`;
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
