// Custom search attributes: what supervisors list and filter obligations by, in the CLI and
// the Temporal UI. SQLite visibility allows 10 Keyword, 3 Int and 3 Datetime attributes; we
// use 6, 2 and 1. They are registered on every start of the dev server (a restart on an
// existing database ignores --search-attribute flags).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const LantianCampaign = defineSearchAttributeKey('LantianCampaign', SearchAttributeType.KEYWORD);
export const LantianObligation = defineSearchAttributeKey('LantianObligation', SearchAttributeType.KEYWORD);
export const LantianAssignee = defineSearchAttributeKey('LantianAssignee', SearchAttributeType.KEYWORD);
export const LantianProvince = defineSearchAttributeKey('LantianProvince', SearchAttributeType.KEYWORD);
export const LantianStatus = defineSearchAttributeKey('LantianStatus', SearchAttributeType.KEYWORD);
export const LantianPeriod = defineSearchAttributeKey('LantianPeriod', SearchAttributeType.KEYWORD);
export const LantianLevel = defineSearchAttributeKey('LantianLevel', SearchAttributeType.INT);
export const LantianSeason = defineSearchAttributeKey('LantianSeason', SearchAttributeType.INT);
export const LantianDeadline = defineSearchAttributeKey('LantianDeadline', SearchAttributeType.DATETIME);

export const allSearchAttributes = [
  LantianCampaign,
  LantianObligation,
  LantianAssignee,
  LantianProvince,
  LantianStatus,
  LantianPeriod,
  LantianLevel,
  LantianSeason,
  LantianDeadline,
];
