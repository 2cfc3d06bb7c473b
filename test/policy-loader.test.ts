// An office's mistakes in a policy file: each class of error names file, line, YAML path and
// reason; every error of a file is reported, and an invalid file yields no campaign at all.
import { currentSeason } from '../domain/season';
import { loadCalendar } from '../domain/calendar';
import { checkTemplate } from '../notices/render';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPolicies, PolicyError, formatIssue } from '../planner/load';
import { fixturePoliciesDir, templatesDir, tempDir, repo, testCalendar } from './support/temporal';
import { runCli } from './support/cli';
import { resolveCampaign } from '../planner/resolve';

const drill = fs.readFileSync(path.join(fixturePoliciesDir, 'campaigns', 'drill.yaml'), 'utf8');

/** A policy folder with the fixture organisations and one campaign file of our making. */
function folderWith(campaignYaml: string): { dir: string; file: string } {
  const dir = tempDir('policies');
  fs.cpSync(path.join(fixturePoliciesDir, 'organisations'), path.join(dir, 'organisations'), { recursive: true });
  fs.cpSync(path.join(fixturePoliciesDir, 'directory'), path.join(dir, 'directory'), { recursive: true });
  fs.cpSync(templatesDir, path.join(dir, 'templates'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'campaigns'));
  const file = path.join(dir, 'campaigns', 'x.yaml');
  fs.writeFileSync(file, campaignYaml);
  return { dir, file };
}

function errorsOf(campaignYaml: string): string[] {
  const { dir } = folderWith(campaignYaml);
  try {
    loadPolicies(dir);
  } catch (e) {
    if (e instanceof PolicyError) return e.issues.map(formatIssue);
    throw e;
  }
  throw new Error('expected the policy to be refused');
}

const lineOf = (yaml: string, needle: string) => yaml.split('\n').findIndex((l) => l.includes(needle)) + 1;

test('the drill fixture loads', () => {
  const set = loadPolicies(fixturePoliciesDir, undefined, templatesDir);
  expect([...set.campaigns.keys()]).toEqual(['drill']);
  expect(set.organisations.size).toBe(5);
});

test('a date that does not exist → file:line, path to the date, and the value', () => {
  const yaml = drill.replace('{ date: 2031-03-31 }', '{ date: "2019-13-31" }');
  const errors = errorsOf(yaml);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(
    new RegExp(
      `x\\.yaml:${lineOf(yaml, '2019-13-31')} obligations\\[1\\]\\.deadline\\.date: "2019-13-31" is not a date$`,
    ),
  );
});

test('every error of a file is reported, not only the first', () => {
  const yaml = drill
    .replace('title: 完成VOCs旁路封堵', 'title: ""')
    .replace('assignees: ["130100"]', 'assignees: ["999999"]')
    .replace('after: P15D', 'after: 15 days')
    .replace('roll: next-working-day', 'roll: sometimes')
    .replace('deadline: { monthEnd: 2030-12 }', 'deadline: { monthEnd: 2030-12 }\n    ladder: defualt')
    .replace('scope: ["110000"', 'scope: ["119999"');
  const errors = errorsOf(yaml).map((e) => e.replace(/^.*x\.yaml:\d+ /, ''));
  // Shape errors and cross-references in one run: the cross-checks look at every part that
  // parsed (obligations[1] did not, so its unknown assignee waits for its title to be fixed).
  expect(errors).toEqual([
    expect.stringMatching(/^ladders\.default\[1\]\.after: "15 days" /),
    expect.stringMatching(/^obligations\[1\]\.title: /),
    expect.stringMatching(/^obligations\[2\]\.roll: "sometimes" /),
    'scope[0]: 119999 is not a known organisation (policies/organisations)',
    'obligations[0].ladder: ladder defualt is not defined under ladders',
  ]);
});

test('a time zone the runtime does not know is an error, not a crash when dates are planned', () => {
  const yaml = drill.replace(/^id: drill$/m, 'id: drill\ntimezone: Mars/Olympus');
  expect(errorsOf(yaml)).toEqual([
    expect.stringMatching(new RegExp(`x\\.yaml:${lineOf(yaml, 'Mars/Olympus')} timezone: .*is not an IANA time zone`)),
  ]);
});

test('a campaign that names no ladder escalates on the built-in one: urging, warning letter, public interview, accountability', () => {
  const yaml = drill.replace(/^ladders:\n( {4}.*\n| {2}default:\n)+/m, '');
  expect(yaml).not.toContain('ladders:');
  const { dir } = folderWith(yaml);
  const set = loadPolicies(dir);
  const rows = resolveCampaign(set, 'drill', testCalendar(2030, 2032), 2030).filter(
    (r) => r.obligationId === 'coal-boilers',
  );
  expect(rows[0].ladder.map((s) => [s.kind, s.level, s.after])).toEqual([
    ['urging', 1, 'P1D'],
    ['warning-letter', 2, 'P1M'],
    ['public-interview', 3, 'P3M'],
    ['accountability', 4, 'P6M'],
  ]);
});

test('an unknown organisation code is named with its line', () => {
  const yaml = drill.replace('assignees: ["130100"]', 'assignees: ["999999"]');
  const [err] = errorsOf(yaml);
  expect(err).toMatch(
    new RegExp(
      `x\\.yaml:${lineOf(yaml, '999999')} obligations\\[1\\]\\.assignees\\[0\\]: 999999 is not a known organisation$`,
    ),
  );
});

test('a missing required key, an unknown key, a duplicate id, an undefined ladder and a missing template', () => {
  const yaml = drill
    .replace('    title: 报送上月区县空气质量日数据\n', '')
    .replace('    review: false', '    review: false\n    reveiw: true')
    .replace('id: voc-bypass', 'id: coal-boilers\n    ladder: strict')
    .replace('template: urging', 'template: urgent');
  const errors = errorsOf(yaml).join('\n');
  expect(errors).toMatch(/obligations\[2\]\.title: is required/);
  expect(errors).toMatch(/obligations\[2\]: unknown key reveiw/);
  const second = errorsOf(
    drill
      .replace('id: voc-bypass', 'id: coal-boilers\n    ladder: strict')
      .replace('template: urging', 'template: urgent'),
  ).join('\n');
  expect(second).toMatch(/obligations\[1\]\.id: duplicate obligation id coal-boilers/);
  expect(second).toMatch(/obligations\[1\]\.ladder: ladder strict is not defined/);
  expect(second).toMatch(/ladders\.default\[0\]\.template: template urgent not found/);
});

test('broken YAML → the line of the syntax error', () => {
  const yaml = drill.replace('scope: ["110000"', 'scope: [["110000"');
  const errors = errorsOf(yaml);
  expect(errors[0]).toMatch(/x\.yaml:\d+ YAML: /);
});

const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, env);

test('`policy validate` on a bad file exits non-zero with the reason on stderr; on a good folder exits 0', async () => {
  const { dir, file } = folderWith(drill.replace('{ date: 2031-03-31 }', '{ date: "2019-13-31" }'));
  const good = folderWith(drill);
  const run = (args: string[]) => cli(args, { LANTIAN_POLICIES_DIR: dir });
  const bad = await run(['policy', 'validate', file]);
  expect(bad.code).not.toBe(0);
  expect(bad.err).toMatch(/x\.yaml:\d+ obligations\[1\]\.deadline\.date: "2019-13-31" is not a date/);
  expect(bad.err).toMatch(/^lantian: 策略有 \d+ 处错误：\n/);
  const ok = await run(['policy', 'validate', good.dir, '--json']);
  expect(ok.code).toBe(0);
  expect(JSON.parse(ok.out)).toMatchObject({ valid: true, campaigns: ['drill'], obligations: 3 });
});

test("`policy validate` on one shipped campaign file checks it against its own folder, not the other campaigns' targets", async () => {
  // policies/targets holds the 2020–21 plan's targets; validating the 2019–20 file alone is still valid.
  const one = await cli(
    ['policy', 'validate', path.join(repo, 'policies', 'campaigns', 'jjj-2019-2020.yaml'), '--json'],
    { LANTIAN_POLICIES_DIR: path.join(os.tmpdir(), 'no-such-policies') },
  );
  expect(one).toMatchObject({ code: 0, err: '' });
  expect(JSON.parse(one.out)).toMatchObject({ valid: true, campaigns: ['jjj-2019-2020'] });
  const folder = await cli(['policy', 'validate', path.join(repo, 'policies', 'campaigns'), '--json']);
  expect(JSON.parse(folder.out)).toMatchObject({ valid: true, campaigns: ['jjj-2019-2020', 'jjj-fenwei-2020-2021'] });
  // The whole campaigns folder is the whole policy folder: a targets file for no campaign is still an error.
  const copy = tempDir('policies-copy');
  fs.cpSync(path.join(repo, 'policies'), copy, { recursive: true });
  const targets = path.join(copy, 'targets', 'jjj-fenwei-2020-2021.yaml');
  fs.writeFileSync(
    targets,
    fs.readFileSync(targets, 'utf8').replace(/^campaign: jjj-fenwei-2020-2021$/m, 'campaign: jjj-fenwei-2020-2O21'),
  );
  // The folder's holiday calendar is policy too.
  const calendarFile = path.join(copy, 'calendar', 'cn-public-holidays.yaml');
  const calendarText = fs.readFileSync(calendarFile, 'utf8');
  fs.writeFileSync(calendarFile, `${calendarText.trimEnd()}\n  2099:\n    source: ""\n`);
  const badCalendar = await cli(['policy', 'validate', copy]);
  expect(badCalendar.code).not.toBe(0);
  expect(badCalendar.err).toMatch(
    /cn-public-holidays\.yaml:\d+ years\.2099\.source: must name the notice the dates come from/,
  );
  fs.writeFileSync(calendarFile, calendarText);
  const misspelt = await cli(['policy', 'validate', path.join(copy, 'campaigns')]);
  expect(misspelt.code).not.toBe(0);
  expect(misspelt.err).toMatch(/campaign jjj-fenwei-2020-2O21 is not defined/);
});

test('launching a season that has ended is refused with the way forward: the current season, or --allow-past', async () => {
  // The campaign's own season (2019) is far outside the seasons that may be launched now.
  const own = await cli(['campaign', 'launch', 'jjj-2019-2020']);
  expect(own.code).not.toBe(0);
  expect(own.err).toMatch(
    /season 2019 is outside the seasons that may be launched now, \d{4} to \d{4} .*LANTIAN_SEASON_WINDOW=2,1\); check the year for a typo, or launch a current season/,
  );
  // A window that reaches it: the season ended, and --allow-past is the way to launch it anyway.
  const r = await cli(['campaign', 'launch', 'jjj-2019-2020'], { LANTIAN_SEASON_WINDOW: '20,1' });
  expect(r.code).not.toBe(0);
  expect(r.err).toMatch(/season 2019 of jjj-2019-2020 ended on 2020-03-31; /);
  // The current season is suggested only when the holiday calendar can plan it (it runs to March of
  // the next year, its ladder further); otherwise the missing year is named.
  const current = currentSeason();
  let plannable = true;
  try {
    resolveCampaign(loadPolicies(path.join(repo, 'policies')), 'jjj-2019-2020', loadCalendar(), current);
  } catch {
    plannable = false;
  }
  expect(r.err).toContain(
    plannable
      ? `launch a current season (--season ${current})`
      : `launch a current season on a provisional calendar (--season ${current} --provisional-calendar: policies/calendar/cn-public-holidays.yaml has no holiday notice for`,
  );
  expect(r.err).toMatch(/or pass --allow-past/);
});

test('launching a season the holiday calendar cannot plan is refused with the missing year, and the provisional calendar as the way forward', async () => {
  const r = await cli(['campaign', 'launch', 'jjj-fenwei-2020-2021', '--season', '2090'], {
    LANTIAN_SEASON_WINDOW: '2,70',
  });
  expect(r.code).not.toBe(0);
  expect(r.err).toMatch(
    /does not cover 209[01]: add that year's holiday notice .*; or launch season 2090 on a provisional calendar \(--provisional-calendar\): a year without its notice counts Monday to Friday until the notice is added/,
  );
  // The plan on a provisional calendar can be shown before it is launched.
  const shown = await cli([
    'policy',
    'show',
    'jjj-fenwei-2020-2021',
    '--season',
    '2090',
    '--provisional-calendar',
    '--json',
  ]);
  expect(shown.code).toBe(0);
  expect(JSON.parse(shown.out)).toHaveLength(742);
});

test('a misspelt variable in a notice template is a load error naming the template and the variable', () => {
  const { dir } = folderWith(drill);
  const file = path.join(dir, 'templates', 'warning-letter.hbs');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('{{dueDateCn}}', '{{dueDateCN}}'));
  expect(() => loadPolicies(dir)).toThrow(
    /warning-letter\.hbs template warning-letter: variable dueDateCN is not provided/,
  );
});

test('a misspelt variable in a branch the sample does not take, or in a condition, is a load error too', () => {
  const { dir } = folderWith(drill);
  const file = path.join(dir, 'templates', 'warning-letter.hbs');
  // The sample letter is extended, so this else-branch is never rendered; and an #if on a
  // misspelt name would silently be false in every letter.
  fs.writeFileSync(
    file,
    fs
      .readFileSync(file, 'utf8')
      .replace(
        '{{#if extended}}（原时限{{originalDueDateCn}}）{{/if}}',
        '{{#if extended}}（原时限{{originalDueDateCn}}）{{else}}（{{dueDateCN}}）{{/if}}{{#if extnded}}!{{/if}}',
      ),
  );
  expect(() => loadPolicies(dir)).toThrow(
    /warning-letter\.hbs template warning-letter: variables dueDateCN, extnded are not provided/,
  );
  // Inside #each the names are the element's: a digest listing items checks item fields.
  const digest = path.join(dir, 'templates', 'digest.hbs');
  fs.writeFileSync(file, fs.readFileSync(path.join(templatesDir, 'warning-letter.hbs'), 'utf8'));
  fs.writeFileSync(
    digest,
    fs.readFileSync(digest, 'utf8').replace('{{#each items}}', '{{#each items}}{{titel}}{{../count}}{{@index}}'),
  );
  expect(() => loadPolicies(dir)).toThrow(/digest\.hbs template digest: variable titel is not provided/);
});

test('the template check follows what Handlebars resolves: block params, implicit sections, @root, helpers, hash arguments', () => {
  const dir = tempDir('templates');
  const sample = { a: { b: 1 }, items: [{ title: 't' }], obj: { k: 1 }, flag: true, date: '2020-01-01' };
  const check = (body: string) => {
    fs.writeFileSync(path.join(dir, 't.hbs'), `subject: s\n---\n${body}\n`);
    try {
      checkTemplate(dir, 't', sample);
      return 'ok';
    } catch (e) {
      return (e as Error).message;
    }
  };
  expect(
    check(
      '{{#each items as |item i|}}{{item.title}}{{i}}{{@index}}{{../flag}}{{/each}}{{#obj}}{{k}}{{/obj}}{{@root.a.b}}{{cnDate date}}{{#with a}}{{b}}{{else}}{{flag}}{{/with}}',
    ),
  ).toBe('ok');
  expect(check('{{#each items as |item|}}{{item.titel}}{{/each}}')).toMatch(/variable item\.titel is not provided/);
  expect(check('{{#nosuch}}x{{/nosuch}}{{@root.nope}}{{#each items key=nokey}}{{/each}}')).toMatch(
    /variables nosuch, @root\.nope, nokey are not provided/,
  );
});

describe('the recipients directory (policies/directory)', () => {
  const directoryErrors = (edit: (yaml: string) => string, campaign = drill): string[] => {
    const { dir } = folderWith(campaign);
    const file = path.join(dir, 'directory', 'contacts.yaml');
    fs.writeFileSync(file, edit(fs.readFileSync(file, 'utf8')));
    try {
      loadPolicies(dir);
    } catch (e) {
      if (e instanceof PolicyError) return e.issues.map(formatIssue);
      throw e;
    }
    return [];
  };

  test('an assignee with no contact for a role its obligations need is a load error naming organisation and role', () => {
    // 唐山市 loses its government contact: the warning letter, the interview and the accountability notice go there.
    const errors = directoryErrors((y) => y.replace('      government: { email: zfb@ts.example.gov.cn }\n', ''));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(
        `x\\.yaml:${lineOf(drill, 'assignees: { every: city }')} obligations\\[0\\]\\.assignees: assignee 130200 唐山市 has no contact for role government \\(needed by escalation step warning-letter of coal-boilers\\)`,
      ),
    );
  });

  test('a bad address or an unknown organisation in the directory names its file, line and path', () => {
    const bad = directoryErrors((y) => y.replace('sthjj@ts.example.gov.cn', 'not-an-address'));
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/contacts\.yaml:21 entries\[3\]\.contacts\.environment-bureau\.email: "not-an-address"/);
    const unknown = directoryErrors((y) => y.replace('organisation: "110000"', 'organisation: "999999"')).join('\n');
    expect(unknown).toMatch(/contacts\.yaml:5 entries\[0\]\.organisation: 999999 is not a known organisation/);
  });

  test('the shipped directory holds placeholders only, on the reserved .invalid domain', () => {
    const set = loadPolicies(path.join(repo, 'policies'));
    const emails = [...set.organisations.values()].flatMap((o) => o.contacts.map((c) => c.email));
    expect(emails.length).toBeGreaterThan(300);
    expect(emails.every((e) => e.endsWith('.invalid'))).toBe(true);
  });
});

test('`obligation list` with a filter the policies do not know → refused with the reason, not an empty list', async () => {
  const run = (args: string[]) => cli(['obligation', 'list', ...args], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
  const status = await run(['--status', 'late']);
  expect(status.code).not.toBe(0);
  expect(status.err).toMatch(
    /argument 'late' is invalid. Allowed choices are open, submitted, overdue, met, met-late, waived, unmet/,
  );
  expect(await run(['--campaign', 'nope'])).toMatchObject({
    code: 1,
    err: expect.stringMatching(
      /--campaign nope：策略中没有这个行动方案（现有：jjj-2019-2020, jjj-fenwei-2020-2021）。/,
    ),
  });
  expect(await run(['--assignee', '12000'])).toMatchObject({
    code: 1,
    err: expect.stringMatching(/--assignee 12000：策略中没有这个单位。/),
  });
  expect(await run(['--campaign', 'jjj-2019-2020', '--obligation', 'coal-boiler'])).toMatchObject({
    code: 1,
    err: expect.stringMatching(/--obligation coal-boiler：行动方案 jjj-2019-2020中都没有这项任务。/),
  });
  expect(await run(['--province', '130100'])).toMatchObject({
    code: 1,
    err: expect.stringMatching(/--province 130100：石家庄市不是省级单位（按单位筛选请用 --assignee 130100）。/),
  });
});
