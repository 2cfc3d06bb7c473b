// Who receives a notice: the assignee's contacts for the step's roles, with supervisors and
// the leading-group office copied on escalation letters.
import type { ContactRole, Organisation } from '../planner/schema';

export interface Addressees {
  to: string[];
  cc: string[];
}

/**
 * An organisation without a contact for a role gets a placeholder address on the
 * lantian.invalid domain (RFC 2606: never deliverable), so the gap is visible in the outbox.
 */
export function contactFor(org: Organisation, role: ContactRole): string[] {
  const listed = org.contacts.filter((c) => c.role === role).map((c) => c.email);
  return listed.length ? listed : [`${role}.${org.code}@lantian.invalid`];
}

export function addresseesFor(
  org: Organisation,
  roles: ContactRole[],
  office: { email: string },
  escalation: boolean,
): Addressees {
  const direct = roles.filter((r) => r !== 'supervisor' && r !== 'leading-group-office');
  const to = [...new Set((direct.length ? direct : (['environment-bureau'] as ContactRole[])).flatMap((r) => contactFor(org, r)))];
  const cc = new Set<string>();
  if (escalation) {
    cc.add(office.email);
    for (const r of roles.filter((x) => x === 'supervisor')) contactFor(org, r).forEach((a) => cc.add(a));
  }
  return { to, cc: [...cc].filter((a) => !to.includes(a)) };
}
