// The policies the problem tests run on: the drill fixtures, the shipped problems.yaml and its
// letters beside them, and the inspection teams a test names.
import fs from 'node:fs';
import path from 'node:path';
import { fixturePoliciesDir, repo, tempDir, templatesDir } from './temporal';

export interface TestTeam {
  id: string;
  name: string;
  orgs: string[];
}

/** 第一检查组, working in 石家庄 (130100); its users are added with role `team` and org `team-1`. */
export const firstTeam: TestTeam = { id: 'team-1', name: '第一检查组', orgs: ['130100'] };

/** A policies folder of its own (under a temp dir named `name`) with `teams` in its problems.yaml. */
export function problemPolicies(name: string, teams: TestTeam[] = []): string {
  const dir = path.join(tempDir(name), 'policies');
  fs.cpSync(fixturePoliciesDir, dir, { recursive: true, filter: (src) => path.basename(src) !== 'templates' });
  fs.symlinkSync(templatesDir, path.join(dir, 'templates'));
  const shipped = fs.readFileSync(path.join(repo, 'policies', 'problems.yaml'), 'utf8');
  // The shipped example team is replaced by the test's own: `teams` is the file's last key.
  const at = shipped.search(/^teams:/m);
  if (at < 0) throw new Error('policies/problems.yaml: no `teams:` key to replace');
  // JSON is YAML: one line per file is enough for a test.
  fs.writeFileSync(path.join(dir, 'problems.yaml'), `${shipped.slice(0, at)}teams: ${JSON.stringify(teams)}\n`);
  return dir;
}
