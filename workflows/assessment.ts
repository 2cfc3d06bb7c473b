// One campaign season's air-quality assessment: at each point of the campaign calendar, assess
// every city from the stored figures and issue the act the year's text prescribes to each city
// that earns one. The record (and each city's part of it) is queryable throughout.
import * as wf from '@temporalio/workflow';
import { ASSESSMENT, ASSESSMENT_ACT, failureOf } from './options';
import type { Activities } from '../activities';
import type { CityAssessment } from '../domain/assessment';
import type { TimelineAct } from '../storage/assessment-timeline';

export interface AssessmentPointPlan {
  id: string;
  kind: string;
  title: string;
  /** UTC instant the assessment is made, and its local form. */
  at: string;
  atLocal: string;
}

export interface AssessmentWorkflowInput {
  campaignId: string;
  season: number;
  points: AssessmentPointPlan[];
}

export interface AssessmentPointRecord {
  id: string;
  title: string;
  assessedAt: string;
  results: Pick<CityAssessment, 'code' | 'name' | 'verdict' | 'verdictCn' | 'figures' | 'pm25ChangePct' | 'rank'>[];
  acts: TimelineAct[];
  failed: { code: string; reason: string }[];
}

export interface AssessmentRecord {
  campaignId: string;
  season: number;
  workflowId: string;
  pending: AssessmentPointPlan[];
  points: AssessmentPointRecord[];
}

export const assessmentRecordQuery = wf.defineQuery<AssessmentRecord>('assessmentRecord');
/** One city's timeline: every point's verdict for it and the acts it received. */
export const cityAssessmentQuery = wf.defineQuery<
  { code: string; points: { id: string; verdictCn: string; act?: TimelineAct }[] },
  [string]
>('cityAssessment');

export const assessmentWorkflowId = (campaignId: string, season: number) =>
  `lantian-assessment:${campaignId}:${season}`;

const { assessAirQuality } = wf.proxyActivities<Activities>(ASSESSMENT);
const { issueAssessmentAct } = wf.proxyActivities<Activities>(ASSESSMENT_ACT);

export async function assessmentWorkflow(input: AssessmentWorkflowInput): Promise<AssessmentRecord> {
  const workflowId = wf.workflowInfo().workflowId;
  const record: AssessmentRecord = {
    campaignId: input.campaignId,
    season: input.season,
    workflowId,
    pending: [...input.points],
    points: [],
  };
  wf.setHandler(assessmentRecordQuery, () => record);
  wf.setHandler(cityAssessmentQuery, (code) => ({
    code,
    points: record.points.flatMap((p) => {
      const r = p.results.find((x) => x.code === code);
      return r ? [{ id: p.id, verdictCn: r.verdictCn, act: p.acts.find((a) => a.code === code) }] : [];
    }),
  }));

  for (const point of input.points) {
    const wait = Date.parse(point.at) - Date.now();
    if (wait > 0) await wf.sleep(wait);
    const results = await assessAirQuality({ campaignId: input.campaignId, season: input.season, pointId: point.id });
    const rec: AssessmentPointRecord = {
      id: point.id,
      title: point.title,
      assessedAt: new Date().toISOString(),
      results: results.map(({ code, name, verdict, verdictCn, figures, pm25ChangePct, rank }) => ({
        code,
        name,
        verdict,
        verdictCn,
        figures,
        pm25ChangePct,
        rank,
      })),
      acts: [],
      failed: [],
    };
    record.points.push(rec);
    record.pending = record.pending.filter((p) => p.id !== point.id);
    for (const a of results.filter((r) => r.act)) {
      try {
        // Idempotency key from the season workflow's ID and the step (point, city), never the run ID:
        // a retry, a replay or an office's one-off run of the same point sends nothing twice.
        const key = `${assessmentWorkflowId(input.campaignId, input.season)}:${point.id}:${a.code}`;
        rec.acts.push(
          await issueAssessmentAct({
            key,
            campaignId: input.campaignId,
            season: input.season,
            pointId: point.id,
            assessment: a,
            issuedAt: Date.now(),
          }),
        );
      } catch (err) {
        rec.failed.push({ code: a.code, reason: failureOf(err).message });
      }
    }
  }
  return record;
}
