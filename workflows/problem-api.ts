// The problem workflow's public surface: its Updates and Query, shared by the workflow and its
// clients (CLI, tests) so that names and argument types cannot drift apart.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type {
  Assignment,
  ProblemRecord,
  ProblemStateName,
  RectificationEvidence,
  RectificationPlan,
  SimilarReport,
  Verification,
} from '../domain/problem';

export const assignProblem = defineUpdate<{ dueDate: string }, [Assignment]>('assignProblem');
export const submitProblemPlan = defineUpdate<{ state: ProblemStateName }, [RectificationPlan]>('submitProblemPlan');
export const submitProblemEvidence = defineUpdate<{ evidenceId: string }, [RectificationEvidence]>(
  'submitProblemEvidence',
);
export const verifyProblem = defineUpdate<{ state: ProblemStateName; dueDate?: string }, [Verification]>(
  'verifyProblem',
);
/** 举一反三: similar problems the city fixed on its own; answers how many the problem now counts. */
export const reportSimilarProblems = defineUpdate<{ similar: number }, [SimilarReport]>('reportSimilarProblems');
export const problemRecordQuery = defineQuery<ProblemRecord>('record');
