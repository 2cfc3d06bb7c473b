// The storm's floor (bench/storm.ts): the least a durable reminder can be on Temporal. A workflow
// that sleeps until the instant, then sends its letter from one local activity; nothing of
// Lantian in it (no schedule, no template, no stored letter, no ledger, no timeline).
import { proxyLocalActivities, sleep } from '@temporalio/workflow';

export interface BareActivities {
  sendReminder(key: string): Promise<void>;
}

const { sendReminder } = proxyLocalActivities<BareActivities>({ startToCloseTimeout: '1 minute' });

export async function bareReminder(at: number, key: string): Promise<void> {
  await sleep(at - Date.now());
  await sendReminder(key);
}
