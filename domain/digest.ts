// A recipient's reminders of one local day, sent as one message by its digest workflow
// (workflows/digest.ts). The types are shared by the workflow, the activity that enqueues a
// reminder and the client that starts the digest, so they live here rather than in any of them.
import type { DeliveryEvent } from './obligation';

export interface DigestItem {
  /** The reminder's notice key (obligation workflow ID + schedule entry). */
  key: string;
  workflowId: string;
  title: string;
  period?: string;
  clause: string;
  dueDate: string;
  subject: string;
  queuedAt: string;
}

export interface DigestInput {
  /** Organisation code of the recipient. */
  recipient: string;
  recipientName: string;
  /** Local date (official time) the reminders fell due. */
  date: string;
  windowMs: number;
  office: { name: string; email: string };
}

/** What the digest tells each obligation it listed: which message carried its reminder and how it went. */
export interface DigestDelivery {
  key: string;
  digest: string;
  messageId: string;
  steps: DeliveryEvent[];
}

export const digestWorkflowId = (recipient: string, date: string) => `digest:${recipient}:${date}`;
