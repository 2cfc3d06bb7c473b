// An obligation whose first notice falls due in real time, shortly after launch: for the tests
// that kill a worker or a store while a notice is being sent, on servers that cannot skip time.
import { DateTime } from 'luxon';
import { resolveCampaign } from '../../planner/resolve';
import { fixturePolicies, testCalendar } from './temporal';

/**
 * The drill's VOC obligation, with its notice at the next whole minute (Shanghai time) at least
 * `leadSeconds` away: a reminder seven days before a due date a week from now, or the urging (督办,
 * a letter with its PDF) one day after a due date that was yesterday. `entry` is the schedule
 * entry's key, the notice key's suffix.
 */
export function noticeAtNextMinute(kind: 'reminder' | 'escalation', leadSeconds: number) {
  const calendar = testCalendar(2026, 2032, ['2031-01-01']);
  const row = resolveCampaign(fixturePolicies(), 'drill', calendar, 2030).find((r) => r.obligationId === 'voc-bypass')!;
  const dueAt = DateTime.now()
    .setZone(row.input.timezone)
    .plus({ seconds: leadSeconds })
    .startOf('minute')
    .plus({ minutes: 1 });
  const sending = { at: dueAt.toFormat('HH:mm'), workingDaysOnly: false };
  const urging = { ...row.input.ladder[0], after: 'P1D' };
  const dueDate = (kind === 'reminder' ? dueAt.plus({ days: 7 }) : dueAt.minus({ days: 1 })).toISODate()!;
  const input =
    kind === 'reminder'
      ? { ...row.input, dueDate, reminders: ['P7D'], sending }
      : { ...row.input, dueDate, reminders: [], ladder: [urging], sending };
  const entry = kind === 'reminder' ? `reminder:P7D@${dueDate}` : `escalation:${urging.level}-${urging.kind}`;
  return { row, input, dueAt, entry };
}
