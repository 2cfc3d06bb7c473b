// The ledger (问题台账) as pure data: states a supervisor reads, counts per city and region, open
// problems oldest first, earlier seasons' open problems carried over (遗留), and 反弹 found by site
// within the policy's window after 销号.
import { buildLedger, findRebound, ledgerState } from '../domain/problem-ledger';
import { ledgerItemOf } from '../domain/problem-memo';
import type { ProblemFound, ProblemRecord } from '../domain/problem';

const record = (over: Partial<ProblemRecord> & Pick<ProblemRecord, 'number'>): ProblemRecord => ({
  workflowId: `lantian-problem:drill:${over.season ?? 2030}:${over.number}`,
  campaignId: 'drill',
  season: 2030,
  assignee: { code: '130100', name: '石家庄市' },
  site: { name: '某建材有限公司' },
  category: '扬尘',
  description: '料场未苫盖',
  foundDate: '2030-11-01',
  team: '第一检查组',
  rule: { type: '立行立改', workingDays: 3 },
  state: '交办',
  overdue: false,
  level: 0,
  evidence: [],
  notices: [],
  timeline: [],
  ...over,
});

test('ledger state: overdue outranks 交办 and 整改中, not 待核查; 销号 is 已销号 whatever came before', () => {
  expect(ledgerState({ state: '交办', overdue: true })).toBe('逾期');
  expect(ledgerState({ state: '整改中', overdue: true })).toBe('逾期');
  expect(ledgerState({ state: '整改中', overdue: false })).toBe('整改中');
  expect(ledgerState({ state: '待核查', overdue: true })).toBe('待核查');
  expect(ledgerState({ state: '已销号', overdue: true })).toBe('已销号');
});

test('ledger: by city and region, category and state; rebounds and 举一反三 counted; oldest open first; 遗留 carried over', () => {
  const records = [
    record({ number: 'A-1', foundDate: '2030-11-05', state: '整改中' }),
    record({ number: 'A-2', foundDate: '2030-11-02', state: '交办', overdue: true, level: 2 }),
    record({ number: 'A-3', foundDate: '2030-11-01', state: '已销号', closedAt: '2030-11-06T02:00:00Z' }),
    record({
      number: 'B-1',
      assignee: { code: '130200', name: '唐山市' },
      category: 'VOCs',
      foundDate: '2030-11-03',
      state: '待核查',
      reboundOf: { workflowId: 'lantian-problem:drill:2029:B-0', number: 'B-0', closedAt: '2030-03-01T00:00:00Z' },
      similar: [
        {
          site: '某化工',
          description: '同类无组织排放',
          fixedOn: '2030-11-04',
          at: '2030-11-04T00:00:00Z',
          actor: { role: 'assignee', id: 'ts', org: '130200' },
        },
      ],
    }),
    // An earlier season: one still open (carried over), one closed (not shown in 2030's view).
    record({ number: 'OLD-1', season: 2029, foundDate: '2029-12-01', state: '整改中', overdue: true }),
    record({
      number: 'OLD-2',
      season: 2029,
      foundDate: '2029-12-02',
      state: '已销号',
      closedAt: '2030-01-02T00:00:00Z',
    }),
    // A later season is not in 2030's view.
    record({ number: 'NEW-1', season: 2031, foundDate: '2031-11-01' }),
  ];
  const l = buildLedger(records.map(ledgerItemOf), { season: 2030, regionName: '全区域' });
  expect(l.problems.map((p) => `${p.number} ${p.state}${p.carriedOver ? ' 遗留' : ''}`)).toEqual([
    'OLD-1 逾期 遗留',
    'A-2 逾期',
    'B-1 待核查',
    'A-1 整改中',
    'A-3 已销号',
  ]);
  expect(l.region).toMatchObject({ name: '全区域', total: 5, open: 4, rebounds: 1, similar: 1, carriedOver: 1 });
  expect(l.region.byState).toEqual({ 排查: 0, 交办: 0, 整改中: 1, 逾期: 2, 待核查: 1, 已销号: 1 });
  expect(l.cities.map((c) => [c.org, c.open, c.total])).toEqual([
    ['130100', 3, 4],
    ['130200', 1, 1],
  ]);
  expect(l.cities[0].byCategory).toEqual({ 扬尘: { total: 4, open: 3 } });
  expect(l.cities[1]).toMatchObject({ rebounds: 1, similar: 1, byCategory: { VOCs: { total: 1, open: 1 } } });
  // All seasons: nothing is carried over, everything counted.
  expect(buildLedger(records.map(ledgerItemOf), { regionName: '全区域' }).region).toMatchObject({
    total: 7,
    carriedOver: 0,
  });
});

test('反弹: the same site (credit code, or name at the same city) closed within the window; not before or outside it', () => {
  const found: ProblemFound = {
    number: 'R-2',
    assignee: { code: '130100', name: '石家庄市' },
    site: { name: '某建材有限公司' },
    category: '扬尘',
    description: '再次未苫盖',
    foundDate: '2031-03-01',
    team: '第一检查组',
  };
  // As the closed problem's memo lists it: 12-01 in Shanghai.
  const closed = ledgerItemOf(record({ number: 'R-1', state: '已销号', closedAt: '2030-11-30T17:00:00Z' }));
  const tz = 'Asia/Shanghai';
  expect(findRebound(found, [closed], 365, tz)).toEqual({
    workflowId: closed.workflowId,
    number: 'R-1',
    closedAt: closed.closedAt,
  });
  // 90 days from 2030-12-01 is 2031-03-01: within; 89 is not.
  expect(findRebound(found, [closed], 90, tz)?.number).toBe('R-1');
  expect(findRebound(found, [closed], 89, tz)).toBeUndefined();
  // Found before the first was closed, at another city, still open, or another enterprise by credit code: no rebound.
  expect(findRebound({ ...found, foundDate: '2030-11-30' }, [closed], 365, tz)).toBeUndefined();
  expect(findRebound({ ...found, assignee: { code: '130200', name: '唐山市' } }, [closed], 365, tz)).toBeUndefined();
  expect(findRebound(found, [{ ...closed, state: '整改中' }], 365, tz)).toBeUndefined();
  expect(
    findRebound(
      { ...found, site: { name: '某建材有限公司', creditCode: '91130100MA0A1B2C3D' } },
      [{ ...closed, site: '某建材有限公司', creditCode: '91130100MA0A1B2C3X' }],
      365,
      tz,
    ),
  ).toBeUndefined();
  // The same credit code under another name is the same enterprise.
  expect(
    findRebound(
      { ...found, site: { name: '某建材（东厂区）', creditCode: '91130100MA0A1B2C3D' } },
      [{ ...closed, site: '某建材有限公司', creditCode: '91130100MA0A1B2C3D' }],
      365,
      tz,
    )?.number,
  ).toBe('R-1');
});
