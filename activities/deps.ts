// What the activities need from the process that runs them: the policies, the calendar, where
// letters and records go, the mailer and the Temporal-backed services. The worker wires these
// (worker/create.ts); tests wire their own, with real servers behind them.
import type { Client } from '@temporalio/client';
import type { WorkingCalendar } from '../domain/calendar';
import type { Organisation } from '../domain/policy-schema';
import type { DigestInput, DigestItem } from '../domain/digest';
import type { Mailer } from '../notices/mailer';
import type { ChannelDelivery } from '../notices/channels';
import type { ReminderDelivery } from '../notices/directory';
import type { PolicySet } from '../planner/load';
import type { LetterStore } from '../storage/letters';
import type { ArchiveStore } from '../storage/archive';
import type { AirQualityStore } from '../storage/air-quality';
import type { AssessmentTimelineStore } from '../storage/assessment-timeline';

/** The next 文号 of an office for a year; the same key always gets the same number. */
export type DocumentNumberAllocator = (office: string, year: number, key: string) => Promise<number>;
/** Lists a reminder in its recipient's digest of the day; returns the digest workflow's ID. */
export type DigestEnqueuer = (input: DigestInput, item: DigestItem) => Promise<string>;

export interface ActivityDeps {
  calendar: WorkingCalendar;
  organisations: Map<string, Organisation>;
  templatesDir: string;
  archiveDir: string;
  lettersDir: string;
  /**
   * Letters and closed obligations' records in PostgreSQL and the object store when production
   * storage is configured (storage/stores.ts); the two folders above otherwise.
   */
  letters?: LetterStore;
  archive?: ArchiveStore;
  /** Checked before the worker starts: production storage reachable, its database not behind. */
  storageReady?: () => Promise<void>;
  /** Ends production storage's connections (the worker's shutdown). */
  storageClose?: () => Promise<void>;
  mailer: Mailer;
  /** Recipients' WeCom, DingTalk and webhook channels besides e-mail; none without it. */
  channels?: ChannelDelivery;
  mailFrom: string;
  documentNumbers: DocumentNumberAllocator;
  /** The policies with their targets (pace, assessment) and the air-quality data folder. */
  policies?: PolicySet;
  airQualityDir?: string;
  /**
   * The figures and the assessment timelines in PostgreSQL when production storage is configured
   * (storage/stores.ts); files under airQualityDir otherwise.
   */
  airQuality?: AirQualityStore;
  assessmentTimeline?: AssessmentTimelineStore;
  /** For the share of overdue obligations through visibility; absent where there is none (time-skipping server). */
  temporalClient?: () => Promise<Client>;
  /** Recipients (organisation codes) that take their reminders as one digest a day; others get each at once. */
  reminderDelivery?: Map<string, ReminderDelivery>;
  digests?: DigestEnqueuer;
  /** How long a digest collects after its first reminder before it goes out. */
  digestWindowMs?: number;
}
