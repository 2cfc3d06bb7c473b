// The obligation list as a table for spreadsheets (the CSV export, and the .xlsx one): the
// catalogue's Chinese headers and status words, names beside codes, Beijing time.
import { DateTime } from 'luxon';
import type { ObligationSummary } from '../client/obligations';
import type { PolicySet } from '../planner/load';
import { obligationColumns, obligationHeaders, seasonWord, statusWord, type Locale } from '../i18n/messages';

/** Names of the codes a row carries. */
export interface SheetNames {
  org(code: string): string | undefined;
  campaign(id: string): string | undefined;
  obligation(campaign: string, id: string): string | undefined;
}

export function sheetNames(policies: PolicySet): SheetNames {
  return {
    org: (code) => policies.organisations.get(code)?.name,
    campaign: (id) => policies.campaigns.get(id)?.title,
    obligation: (campaign, id) => policies.campaigns.get(campaign)?.obligations.find((o) => o.id === id)?.title,
  };
}

export type SheetCell = string | number | undefined;

/** An instant as official (Beijing) time, to the minute: 2026-09-01 23:59. */
export const beijing = (iso?: string): string | undefined =>
  iso ? DateTime.fromISO(iso, { zone: 'Asia/Shanghai' }).toFormat('yyyy-MM-dd HH:mm') : undefined;

/** Headers and rows of the obligation list, in the order of i18n/messages.ts `obligationColumns`. */
export function obligationSheet(
  rows: (ObligationSummary & { daysLeft?: number })[],
  names: SheetNames,
  locale: Locale = 'zh-CN',
): { headers: string[]; rows: SheetCell[][] } {
  const value = (r: ObligationSummary & { daysLeft?: number }, c: (typeof obligationColumns)[number][0]): SheetCell => {
    switch (c) {
      case 'campaignTitle':
        return names.campaign(r.campaign ?? '');
      case 'obligationTitle':
        return names.obligation(r.campaign ?? '', r.obligation ?? '');
      case 'assigneeName':
        return names.org(r.assignee ?? '');
      case 'season':
        return seasonWord(r.season, locale);
      case 'status':
        return statusWord(r.status, locale);
      case 'deadline':
        return beijing(r.deadline);
      default:
        return r[c];
    }
  };
  return {
    headers: obligationHeaders(locale),
    rows: rows.map((r) => obligationColumns.map(([c]) => value(r, c))),
  };
}
