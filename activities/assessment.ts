// The assessment season's activities:
//   assessAirQuality   — assess one point of a campaign season from the stored figures (pure compute)
//   issueAssessmentAct — the act's letter through the notice pipeline, then the city's timeline entry
import { ApplicationFailure } from '@temporalio/activity';
import { DateTime } from 'luxon';
import type { CityAssessment } from '../domain/assessment';
import { assessedUnits } from '../domain/targets';
import { actContext, actLabels } from '../notices/assessment-letters';
import { addressing } from '../notices/context';
import { runPoint, campaignTargets, overdueSharesFromVisibility } from '../planner/assessment';
import { assessmentTemplatesDir } from '../planner/load-targets';
import { fileTimelineStore, type TimelineAct } from '../storage/assessment-timeline';
import { fileAirQualityStore } from '../storage/air-quality';
import type { ActivityDeps } from './deps';
import { noticePipeline } from './notices';

export interface AssessmentRequest {
  campaignId: string;
  season: number;
  pointId: string;
}

export interface ActRequest extends AssessmentRequest {
  key: string;
  assessment: CityAssessment;
  issuedAt: number;
}

export function createAssessmentActivities(deps: ActivityDeps) {
  const issue = noticePipeline(deps);
  const configured = () => {
    const dir = deps.airQualityDir;
    if (!deps.policies || (!dir && !(deps.airQuality && deps.assessmentTimeline))) {
      throw ApplicationFailure.nonRetryable(
        'this worker has no policies or air-quality store configured',
        'AssessmentNotConfigured',
      );
    }
    return {
      policies: deps.policies,
      store: deps.airQuality ?? fileAirQualityStore(dir!),
      timeline: deps.assessmentTimeline ?? fileTimelineStore(dir!),
    };
  };

  return {
    async assessAirQuality(req: AssessmentRequest): Promise<CityAssessment[]> {
      const { policies, store } = configured();
      const { targets } = campaignTargets(policies, req.campaignId);
      const shares = deps.temporalClient
        ? await overdueSharesFromVisibility(
            await deps.temporalClient(),
            req.campaignId,
            req.season,
            assessedUnits(targets),
          )
        : undefined;
      return (
        await runPoint({
          policies,
          calendar: deps.calendar,
          store,
          campaignId: req.campaignId,
          season: req.season,
          pointId: req.pointId,
          overdueShares: shares,
        })
      ).results;
    },

    async issueAssessmentAct(req: ActRequest): Promise<TimelineAct> {
      const { policies, timeline } = configured();
      const { campaign, targets } = campaignTargets(policies, req.campaignId);
      const a = req.assessment;
      const act = a.act;
      if (!act) throw ApplicationFailure.nonRetryable(`${req.key}: ${a.code} has no act to issue`, 'NoAct');
      const point = targets.assessments.find((p) => p.id === req.pointId)!;
      const issuedLocal = DateTime.fromMillis(req.issuedAt, { zone: campaign.timezone });
      const org = deps.organisations.get(a.code);
      const notice = await issue({
        key: req.key,
        label: `${req.key} ${actLabels[act.kind]}`,
        kind: act.kind,
        assignee: a.code,
        roles: ['government', 'supervisor'],
        letter: true,
        office: campaign.office,
        numberedIn: issuedLocal.year,
        template: { dir: assessmentTemplatesDir(deps.templatesDir), name: act.kind },
        context: (documentNumber) =>
          actContext({
            a,
            addressing: addressing(org ?? { name: a.name, kind: 'city' }, 'government'),
            pointTitle: point.title,
            office: campaign.office,
            campaignTitle: campaign.title,
            documentNumber,
            issuedDate: issuedLocal.toISODate()!,
            key: req.key,
          }),
        issuedAt: req.issuedAt,
      });
      const entry: TimelineAct = {
        key: req.key,
        campaignId: req.campaignId,
        season: req.season,
        code: a.code,
        name: a.name,
        point: req.pointId,
        pointTitle: point.title,
        act: act.kind,
        verdict: a.verdict,
        verdictCn: a.verdictCn,
        reasons: act.reasons.map((r) => r.text),
        falsified: a.falsified !== undefined,
        documentNumber: notice.documentNumber,
        subject: notice.subject,
        to: notice.to,
        cc: notice.cc,
        messageId: notice.messageId,
        transport: notice.transport,
        issuedAt: new Date(req.issuedAt).toISOString(),
        issuedAtLocal: issuedLocal.toISO()!,
      };
      // A retry finds the act already recorded under its key and returns it unchanged.
      return (await timeline.record(entry)).act;
    },
  };
}
