// Every sentence of the two action plans that carries a date or a recurrence is accounted for:
// referenced by an obligation's clause text, or listed under coverage.leftOut with a reason.
import fs from 'node:fs';
import path from 'node:path';
import { loadPolicies } from '../planner/load';
import { coverage, coverageMarkdown, datedSentences } from '../planner/coverage';
import { repo } from './support/temporal';

const seeds = path.join(repo, '..', 'shared', 'seeds');
const haveSeeds = fs.existsSync(seeds);
if (!haveSeeds) console.warn(`policy coverage: ${seeds} is absent; the coverage checks are skipped`);

const campaigns = haveSeeds ? [...loadPolicies(path.join(repo, 'policies')).campaigns.values()] : [];

(haveSeeds ? describe : describe.skip)('coverage of the source documents', () => {
  test('the sentence scanner finds dated sentences in a sample', () => {
    const sample =
      '一、总体要求。2019年12月底前，完成35蒸吨以下燃煤锅炉淘汰。各地要加强领导。每月10日前报送上月数据；采暖季前完成清洁取暖改造。';
    expect(datedSentences(sample).map((s) => s.text)).toEqual([
      '2019年12月底前，完成35蒸吨以下燃煤锅炉淘汰。',
      '每月10日前报送上月数据；',
      '采暖季前完成清洁取暖改造。',
    ]);
  });

  test('both campaign documents are shipped as policies', () => {
    expect(campaigns.map((c) => c.source.file).sort()).toEqual([
      '2019-2020-jjj-autumn-winter-action-plan.zh.txt',
      '2020-2021-jjj-fenwei-autumn-winter-action-plan.zh.txt',
    ]);
  });

  test.each(campaigns.map((c) => [c.id, c] as const))(
    '%s: every dated sentence is an obligation or a reasoned omission',
    (_id, c) => {
      const doc = fs.readFileSync(path.join(seeds, c.source.file!), 'utf8');
      const report = coverage(doc, c);
      expect(report.notInDocument).toEqual([]);
      expect(report.uncovered.map((s) => s.text)).toEqual([]);
    },
  );
});

(haveSeeds ? test : test.skip)('docs/policy-coverage.md is the current output of `policy coverage`', () => {
  const docs = new Map(campaigns.map((c) => [c.id, fs.readFileSync(path.join(seeds, c.source.file!), 'utf8')]));
  const committed = fs.readFileSync(path.join(repo, 'docs', 'policy-coverage.md'), 'utf8');
  expect(committed).toBe(coverageMarkdown(campaigns, docs));
});
