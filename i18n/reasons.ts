// The sentences the workflows and the mailer write into a record (timeline reasons, delivery
// responses) stay English in the record and the API, as 1.0 wrote them; these rules read them
// back into catalogue codes so the pages show them in Chinese. A sentence no rule knows is
// returned as it is (test/web-language.test.ts fails on one a page shows).
import { message, type Locale, type MessageCode, type MessageParams } from './messages';

type Rule = [RegExp, (m: string[]) => { code: MessageCode; params: Record<string, string | number | undefined> }];
const r = <C extends MessageCode>(code: C, params: MessageParams<C>) => ({
  code,
  params: params as Record<string, string | number | undefined>,
});

const reasonRules: Rule[] = [
  [
    /^campaign (\S+), season (\d+): due (\S+?)(?:; planned on a provisional calendar: (.+) counted Monday to Friday until its holiday notice is in the calendar)?$/,
    ([c, y, d, prov]) => r('reason_launched', { campaign: c, season: Number(y), dueDate: d, provisional: prov }),
  ],
  [/^its time had passed when the obligation was launched$/, () => r('reason_passed_at_launch', {})],
  [/^(.+) not acknowledged by (\S+ \S+)$/, ([letter, by]) => r('reason_not_acknowledged', { letter, by })],
  [/^its time had passed when the deadline moved$/, () => r('reason_passed_at_move', {})],
  [/^obligation is (\S+)$/, ([status]) => r('reason_obligation_is', { status })],
  [
    /^planned again for (\S+), a working day already past, instead of a day off$/,
    ([date]) => r('reason_planned_again_past', { date }),
  ],
  [/^launched after it fell due; a later step supersedes it$/, () => r('reason_superseded', {})],
  [
    /^the holiday notice for (.+) is in the calendar now: the dates were planned again(?:; moved: (.+))?$/,
    ([years, moved]) => r('reason_holidays_added', { years, moved }),
  ],
  [/^the due date (\S+) ended without accepted evidence$/, ([dueDate]) => r('reason_due_ended', { dueDate })],
  [
    /^still unmet (.+) after the due date (\S+): (\S+)$/,
    ([delay, dueDate, step]) => r('reason_still_unmet', { delay, dueDate, step }),
  ],
  [/^(P\w+) before the due date (\S+)$/, ([offset, dueDate]) => r('reason_reminder', { offset, dueDate })],
  [/^evidence awaits review$/, () => r('reason_awaits_review', {})],
  [/^evidence accepted$/, () => r('reason_evidence_accepted', {})],
  [/^met after the deadline (\S+)$/, ([dueDate]) => r('reason_met_late', { dueDate })],
  [/^not met by the close of the campaign \(due (\S+)\)$/, ([dueDate]) => r('reason_not_met', { dueDate })],
  [
    /^(green|yellow|red): ([\d.]+) of ([\d.]+) (.+) expected by now \(target ([\d.]+)\)$/,
    ([colour, got, expected, unit, target]) => r('reason_pace', { colour, got, expected, unit, target }),
  ],
  [
    /^(?:(\S+@\S+): )?SMTP refused the notice \((\S+)\): (.*)$/s,
    ([address, code, said]) => r('reason_smtp_refused', { address, code, said }),
  ],
];

const deliveryRules: Rule[] = [
  [/^written to the outbox \((.+)\)$/, ([file]) => r('delivery_outbox', { file })],
  [/^listed in (.+)$/, ([digest]) => r('delivery_digest', { digest })],
];

function read(rules: Rule[], text: string, locale: Locale): string | undefined {
  for (const [re, to] of rules) {
    const x = re.exec(text);
    if (x) {
      const { code, params } = to(x.slice(1));
      return message(code, params as never, locale);
    }
  }
  return undefined;
}

/** A reason the app wrote (not one a person typed), in `locale`; one no rule knows, as it is. */
export function systemReason(reason: string, locale: Locale = 'zh-CN'): string {
  return read(reasonRules, reason, locale) ?? reason;
}

/** Timeline events whose reason is what a person typed (a note, a review, an extension, a waiver). */
export const typedReasonEvents: ReadonlySet<string> = new Set([
  'evidence-submitted',
  'evidence-accepted',
  'evidence-rejected',
  'extended',
  'due-date-corrected',
  'waived',
]);

/**
 * A timeline event's reason as the pages show it: typed by a person, as typed; written by the
 * app (whoever the actor: an office's acceptance closes the obligation with "evidence accepted"),
 * in Chinese.
 */
export function timelineReason(e: { type: string; reason?: string }, locale: Locale = 'zh-CN'): string {
  if (!e.reason) return '';
  return typedReasonEvents.has(e.type) ? e.reason : systemReason(e.reason, locale);
}

/**
 * A delivery step's response or failure as the pages show it: the app's own sentences in
 * Chinese; a mail server's reply or error is its own words, which the page shows as code.
 */
export function deliveryText(
  text: string,
  locale: Locale = 'zh-CN',
): { said: string; verbatim?: undefined } | { said?: undefined; verbatim: string } {
  const known = read(deliveryRules, text, locale) ?? read(reasonRules, text, locale);
  if (known !== undefined) return { said: known };
  // "address: reason" of a recipient refused alone.
  const one = /^(\S+@\S+): (.*)$/s.exec(text);
  if (one) {
    const inner = read(reasonRules, one[2], locale);
    if (inner !== undefined) return { said: `${one[1]}：${inner}` };
  }
  return { verbatim: text };
}
