// How long one letter's PDF takes and how big it is: the warning letter to 石家庄市人民政府 on the
// shipped policies, rendered once cold (fonts parsed) and then 20 times; prints the median wall
// time and the median CPU time of this process (less sensitive to other work on the machine).
//   npx tsx scripts/letter-pdf-timing.ts [runs]
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { stepRequest } from '../cli/commands/notice';
import { loadCalendar } from '../domain/calendar';
import { computeSchedule } from '../domain/schedule';
import { noticeContext } from '../notices/context';
import { addresseesFor } from '../notices/directory';
import { copiedOrganisations, officialLetter, renderLetterPdf } from '../notices/pdf';
import { renderNotice } from '../notices/render';
import { loadPolicies } from '../planner/load';
import { resolveCampaign } from '../planner/resolve';

async function main() {
  const runs = Number(process.argv[2] ?? 20);
  const policies = loadPolicies(path.join(__dirname, '..', 'policies'));
  const calendar = loadCalendar();
  const row = resolveCampaign(policies, 'jjj-2019-2020', calendar, 2024).find(
    (r) => r.obligationId === 'coal-boilers-35t' && r.assignee === '130100',
  )!;
  const schedule = computeSchedule(row.input, calendar);
  const req = stepRequest(
    row,
    schedule,
    schedule.entries.find((e) => e.step?.kind === 'warning-letter')!,
  );
  const documentNumber = '京津冀大气办〔2025〕5号';
  const rendered = renderNotice(
    policies.templatesDir,
    'warning-letter',
    noticeContext({ ...req, documentNumber }, calendar),
  );
  const org = policies.organisations.get('130100')!;
  const { cc } = addresseesFor(org, ['government'], row.input.office, true);
  const letter = officialLetter(rendered, {
    documentNumber,
    copies: copiedOrganisations(org, cc, row.input.office, (c) => policies.organisations.get(c)?.name),
  });
  const render = async () => {
    const [t, cpu] = [performance.now(), process.cpuUsage()];
    const pdf = await renderLetterPdf(letter, { key: req.key, issuedAt: req.issuedAt, subject: rendered.subject });
    const used = process.cpuUsage(cpu);
    return { ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000, bytes: pdf.length };
  };
  const cold = await render();
  const warm: number[] = [];
  const cpu: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const r = await render();
    warm.push(r.ms);
    cpu.push(r.cpuMs);
    bytes = r.bytes;
  }
  const middle = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return Math.round((s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) * 10) / 10;
  };
  warm.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      letter: letter.title,
      coldMs: Math.round(cold.ms),
      runs,
      medianMs: middle(warm),
      medianCpuMs: middle(cpu),
      minMs: Math.round(warm[0] * 10) / 10,
      maxMs: Math.round(warm[runs - 1] * 10) / 10,
      bytes,
    }),
  );
}

void main();
