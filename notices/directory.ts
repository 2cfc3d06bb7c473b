// The recipients directory (policies/directory/*.yaml): who at an organisation receives a
// notice, per role, and whether its reminders go out at once or as one digest a day. Who
// receives a notice: the assignee's contacts for the step's roles, with the issuing office and
// the assignee's supervisor copied on escalation letters. There is no fallback address: the
// loader refuses a campaign whose assignees lack a contact for a role their notices need.
// A recipient may also read its notices in a WeCom or DingTalk group, or take them by webhook
// (`channels`, delivered by notices/channels/); the directory names the environment variables
// that hold those channels' credentials, never the credentials themselves.
import { z } from 'zod';
import { contactRole, orgCode, type ContactRole, type Organisation } from '../domain/policy-schema';
import { envSchema } from '../config/env';

export const reminderDelivery = z.enum(['immediate', 'daily-digest']);
export type ReminderDelivery = z.infer<typeof reminderDelivery>;

const contact = z.strictObject({ name: z.string().min(1).optional(), email: z.string().email() });

/**
 * The name of the environment variable holding a channel's secret: LANTIAN_…, and none of
 * Lantian's own settings (a policy file must not be able to send, say, the session key to a robot).
 */
const secretEnv = z
  .string()
  .regex(
    /^LANTIAN_[A-Z0-9_]+$/,
    'name the environment variable that holds the secret (LANTIAN_ followed by capitals, digits and underscores), never the secret itself',
  )
  .refine((name) => !(name in envSchema.shape), {
    error: (i) => `${String(i.input)} is one of Lantian's own settings`,
  });

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const webhookUrl = z
  .url({ protocol: /^https?$/, error: 'an https:// URL' })
  .refine((u) => !URL.canParse(u) || u.startsWith('https://') || LOOPBACK.has(new URL(u).hostname), {
    error: 'use https:// (http:// only to a loopback address)',
  });
const chatMessage = z.enum(['markdown', 'text']);

export const recipientChannels = z
  .strictObject({
    /** A WeCom (企业微信) group robot: the robot's webhook key. */
    wecom: z.strictObject({ keyEnv: secretEnv, msgtype: chatMessage.optional() }).optional(),
    /** A DingTalk (钉钉) custom robot with 加签 (signed requests): its access token and SEC… secret. */
    dingtalk: z.strictObject({ accessTokenEnv: secretEnv, secretEnv, msgtype: chatMessage.optional() }).optional(),
    /** A signed webhook: the body is POSTed as JSON with an HMAC-SHA256 signature made with the secret. */
    webhook: z.strictObject({ url: webhookUrl, secretEnv }).optional(),
  })
  .refine((c) => c.wecom || c.dingtalk || c.webhook, { error: 'name at least one of wecom, dingtalk, webhook' });
export type RecipientChannels = z.infer<typeof recipientChannels>;
export type ChannelName = keyof RecipientChannels;

export const directoryEntry = z.strictObject({
  organisation: orgCode,
  /** How this recipient wants reminders; escalation letters always go out on their own, at once. */
  reminders: reminderDelivery.optional(),
  contacts: z.partialRecord(contactRole, z.union([contact, z.array(contact).min(1)])),
  /** Where else its notices go, besides e-mail: every notice to the organisation, once on each. */
  channels: recipientChannels.optional(),
});
export type DirectoryEntry = z.infer<typeof directoryEntry>;

export const directoryFile = z.strictObject({
  defaults: z.strictObject({ reminders: reminderDelivery }).default({ reminders: 'immediate' }),
  entries: z.array(directoryEntry).min(1),
});

/** The role every reminder goes to. */
export const REMINDER_ROLE: ContactRole = 'environment-bureau';
/** Roles that are copied rather than addressed. */
const COPIED: ContactRole[] = ['supervisor'];

export interface Addressees {
  to: string[];
  cc: string[];
}

export class MissingContactError extends Error {
  constructor(
    readonly organisation: string,
    readonly role: ContactRole,
  ) {
    super(`${organisation} has no contact for role ${role} in policies/directory`);
    this.name = 'MissingContactError';
  }
}

export function contactFor(org: Organisation, role: ContactRole): string[] {
  const listed = org.contacts.filter((c) => c.role === role).map((c) => c.email);
  if (!listed.length) throw new MissingContactError(`${org.code} ${org.name}`, role);
  return listed;
}

/** The roles a notice needs a contact for (checked when policies load). */
export function rolesNeeded(roles: readonly ContactRole[], escalation: boolean): ContactRole[] {
  return escalation ? [...roles] : [REMINDER_ROLE];
}

export function addresseesFor(
  org: Organisation,
  roles: readonly ContactRole[],
  office: { email: string },
  escalation: boolean,
): Addressees {
  const wanted = rolesNeeded(roles, escalation);
  const direct = wanted.filter((r) => !COPIED.includes(r));
  const to = [...new Set((direct.length ? direct : [REMINDER_ROLE]).flatMap((r) => contactFor(org, r)))];
  const cc = new Set<string>();
  if (escalation) {
    cc.add(office.email);
    // The supervisor is copied on every escalation letter when the directory names one, and
    // must be named when the step lists it.
    for (const r of COPIED) {
      if (wanted.includes(r) || org.contacts.some((c) => c.role === r)) contactFor(org, r).forEach((a) => cc.add(a));
    }
  }
  return { to, cc: [...cc].filter((a) => !to.includes(a)) };
}
