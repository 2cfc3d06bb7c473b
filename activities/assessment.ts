// Activities of the assessment workflow and the pace warnings, merged into createActivities:
//   assessAirQuality   — assess one point of a campaign season from the stored figures (pure compute)
//   issueAssessmentAct — the act's letter (文号, rendered, stored, delivered once per key) + the city's timeline
//   sendPaceWarning    — a pace (序时进度) warning to an assignee falling behind, once per key
//   paceSettings       — the campaign's pace thresholds and check points
import { ApplicationFailure } from '@temporalio/activity';
import { DateTime } from 'luxon';
import type { ActivityDeps } from './index';
import { renderNotice, TemplateError } from '../notices/render';
import { addresseesFor } from '../notices/directory';
import { addressing } from '../notices/context';
import { assumingWeekends } from '../domain/calendar';
import { PermanentDeliveryError } from '../notices/mailer';
import { writeLetter } from '../notices/letters';
import { runPoint, campaignTargets, overdueSharesFromVisibility } from '../planner/assessment';
import { assessedUnits } from '../domain/targets';
import { actContext, paceContext, actLabels } from '../notices/assessment-letters';
import { assessmentTemplatesDir } from '../planner/load-targets';
import { writeTimelineAct, type TimelineAct } from '../storage/assessment-timeline';
import type { CityAssessment } from '../domain/assessment';
import type { NoticeRecord } from '../domain/obligation';
import type { Client } from '@temporalio/client';
import { paceCheckTimes, type PaceSettings } from '../domain/pace';

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

export interface PaceWarningRequest {
  key: string;
  campaignId: string;
  assignee: { code: string; name: string };
  obligation: { title: string; clause: string; unit: string };
  office: { name: string; abbreviation: string; email: string };
  colour: string;
  reported: number;
  expected: number;
  target: number;
  dueDate: string;
  timezone: string;
  issuedAt: number;
}

/** A campaign without policies/targets/<campaign>.yaml checks no pace (colours are still shown). */
const DEFAULT_PACE: PaceSettings = { yellowBehind: 0.1, redBehind: 0.25, checks: [] };

export function createAssessmentActivities(deps: ActivityDeps) {
  const need = () => {
    if (!deps.policies || !deps.airQualityDir) {
      throw ApplicationFailure.nonRetryable('this worker has no policies or air-quality data folder configured', 'AssessmentNotConfigured');
    }
    return { policies: deps.policies, dir: deps.airQualityDir };
  };
  const permanent = (e: unknown, what: string) => {
    if (e instanceof TemplateError || e instanceof PermanentDeliveryError) throw ApplicationFailure.nonRetryable(`${what}: ${e.message}`, e.name);
    throw e;
  };

  return {
    async assessAirQuality(req: AssessmentRequest): Promise<CityAssessment[]> {
      const { policies, dir } = need();
      const { targets } = campaignTargets(policies, req.campaignId);
      let shares: Record<string, number> | undefined;
      if (deps.temporalClient) shares = await overdueSharesFromVisibility(await deps.temporalClient(), req.campaignId, req.season, assessedUnits(targets));
      return runPoint({ policies, calendar: deps.calendar, dir, campaignId: req.campaignId, season: req.season, pointId: req.pointId, overdueShares: shares }).results;
    },

    async issueAssessmentAct(req: ActRequest): Promise<TimelineAct> {
      const { policies, dir } = need();
      const { campaign, targets } = campaignTargets(policies, req.campaignId);
      const a = req.assessment;
      if (!a.act) throw ApplicationFailure.nonRetryable(`${req.key}: ${a.code} has no act to issue`, 'NoAct');
      const point = targets.assessments.find((p) => p.id === req.pointId)!;
      const org = deps.organisations.get(a.code);
      if (!org) throw ApplicationFailure.nonRetryable(`${req.key}: ${a.code} is not in the organisations registry`, 'UnknownAssignee');
      const issuedLocal = DateTime.fromMillis(req.issuedAt, { zone: campaign.timezone });
      const n = await deps.documentNumbers(campaign.office.abbreviation, issuedLocal.year, req.key);
      const documentNumber = `${campaign.office.abbreviation}〔${issuedLocal.year}〕${n}号`;
      const { to, cc } = addresseesFor(org, ['government', 'supervisor'], campaign.office, true);
      try {
        const rendered = renderNotice(
          assessmentTemplatesDir(deps.templatesDir),
          a.act.kind,
          actContext({ a, addressing: addressing(org, 'government'), pointTitle: point.title, office: campaign.office, campaignTitle: campaign.title, documentNumber, issuedDate: issuedLocal.toISODate()!, key: req.key }),
        );
        await writeLetter(deps.lettersDir, { key: req.key, subject: rendered.subject, text: rendered.text, html: rendered.html, documentNumber, storedAt: new Date().toISOString() });
        const d = await deps.mailer.deliver({ key: req.key, from: deps.mailFrom, to, cc, ...rendered });
        const entry: TimelineAct = {
          key: req.key,
          campaignId: req.campaignId,
          season: req.season,
          code: a.code,
          name: a.name,
          point: req.pointId,
          pointTitle: point.title,
          act: a.act.kind,
          verdict: a.verdict,
          verdictCn: a.verdictCn,
          reasons: a.act.reasons.map((r) => r.text),
          falsified: a.falsified !== undefined,
          documentNumber,
          subject: rendered.subject,
          to,
          cc,
          messageId: d.messageId,
          transport: d.transport,
          issuedAt: new Date(req.issuedAt).toISOString(),
          issuedAtLocal: issuedLocal.toISO()!,
        };
        writeTimelineAct(dir, entry);
        return entry;
      } catch (e) {
        return permanent(e, `${req.key} ${actLabels[a.act.kind]}`);
      }
    },

    async paceSettings(req: { campaignId: string }): Promise<PaceSettings> {
      return deps.policies?.targets.get(req.campaignId)?.pace ?? DEFAULT_PACE;
    },

    /** When to check pace: the campaign's shares of launch → deadline, at the sending time on a working day (the one before, if it falls on a day off). */
    async planPaceChecks(req: { checks: number[]; launchedAt: number; deadline: number; timezone: string; sending: { at: string; workingDaysOnly: boolean }; provisionalCalendar?: boolean }): Promise<number[]> {
      const [h, m] = req.sending.at.split(':').map(Number);
      const calendar = req.provisionalCalendar ? assumingWeekends(deps.calendar).calendar : deps.calendar;
      const out = new Set<number>();
      for (const raw of paceCheckTimes(req.launchedAt, req.deadline, req.checks)) {
        let date = DateTime.fromMillis(raw, { zone: req.timezone }).toISODate()!;
        if (req.sending.workingDaysOnly) date = calendar.previousWorkingDay(date);
        const t = DateTime.fromISO(date, { zone: req.timezone }).set({ hour: h, minute: m, second: 0, millisecond: 0 }).toMillis();
        if (t > req.launchedAt && t < req.deadline) out.add(t);
      }
      return [...out].sort((a, b) => a - b);
    },

    async sendPaceWarning(req: PaceWarningRequest): Promise<NoticeRecord> {
      const org = deps.organisations.get(req.assignee.code);
      if (!org) throw ApplicationFailure.nonRetryable(`${req.key}: ${req.assignee.code} is not in the organisations registry`, 'UnknownAssignee');
      const { to, cc } = addresseesFor(org, ['environment-bureau'], req.office, false);
      const issued = DateTime.fromMillis(req.issuedAt, { zone: req.timezone }).toISODate()!;
      try {
        const rendered = renderNotice(assessmentTemplatesDir(deps.templatesDir), 'pace-warning', paceContext({ ...req, addressing: addressing(org, 'environment-bureau'), issuedDate: issued }));
        await writeLetter(deps.lettersDir, { key: req.key, subject: rendered.subject, text: rendered.text, html: rendered.html, storedAt: new Date().toISOString() });
        const d = await deps.mailer.deliver({ key: req.key, from: deps.mailFrom, to, cc, ...rendered });
        return { key: req.key, kind: 'pace-warning', to, cc, subject: rendered.subject, messageId: d.messageId, transport: d.transport, location: d.location, sentAt: d.deliveredAt, ...(d.rejected ? { rejected: d.rejected } : {}) };
      } catch (e) {
        return permanent(e, `${req.key} pace warning`);
      }
    },
  };
}

export type AssessmentActivities = ReturnType<typeof createAssessmentActivities>;
export type { Client };
