// What `npm start` says about the campaigns: the seasons already launched are running (with how
// many obligations each has), and only a campaign not yet launched for the season shown is
// ready to launch. Launched means Temporal visibility lists obligations of that campaign and season.
import type { Client } from '@temporalio/client';
import { visibilityQuery } from '../client/obligations';

export interface LaunchedSeason {
  campaign: string;
  season: number;
  obligations: number;
}

/** Each campaign's launched seasons among `seasons`, by counting its obligations in visibility. */
export async function launchedSeasons(
  client: Client,
  campaigns: string[],
  seasons: number[],
): Promise<LaunchedSeason[]> {
  const out: LaunchedSeason[] = [];
  for (const campaign of campaigns)
    for (const season of [...new Set(seasons)].sort((a, b) => b - a)) {
      const { count } = await client.workflow.count(visibilityQuery({ campaign, season }));
      if (count > 0) out.push({ campaign, season, obligations: count });
    }
  return out;
}

export interface ReadyCampaign {
  id: string;
  title: string;
  /** The line's text after the id: the season, the number of obligations, any notes. */
  detail: string;
}

/** The listing's lines: running seasons first, then the campaigns ready to launch for `season`. */
export function campaignListing(
  campaigns: ReadyCampaign[],
  launched: LaunchedSeason[],
  season: number,
): { lines: string[]; ready: ReadyCampaign[] } {
  const title = new Map(campaigns.map((c) => [c.id, c.title]));
  const running = [...launched].sort((a, b) => a.campaign.localeCompare(b.campaign) || b.season - a.season);
  const ready = campaigns.filter((c) => !launched.some((l) => l.campaign === c.id && l.season === season));
  return {
    ready,
    lines: [
      'Campaigns running:',
      ...(running.length
        ? running.map(
            (l) =>
              `  ${l.campaign.padEnd(24)} season ${l.season}–${l.season + 1}: ${l.obligations} obligations launched  (${title.get(l.campaign) ?? l.campaign})`,
          )
        : ['  none yet']),
      '',
      'Campaigns ready to launch:',
      ...(ready.length
        ? ready.map((c) => `  ${c.id.padEnd(24)} ${c.detail}  (${c.title})`)
        : [`  none: every campaign is running for season ${season}–${season + 1}`]),
    ],
  };
}
