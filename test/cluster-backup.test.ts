// A backup of the cluster restored onto an emptied one (`scripts/cluster.sh backup` and `restore`:
// pg_dump of Temporal's two databases and Lantian's, the object store's files, as
// docs/operations.md gives the procedure for compose). After the restore a new worker and web
// instance find everything: the obligation still runs and takes its review, the evidence
// downloads byte for byte, users sign in with the tokens they had. On the embedded default
// (npm test) this file is skipped: the cluster is the service being backed up.
import crypto from 'node:crypto';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  devServerEnv,
  fixturePolicies,
  fixturePoliciesDir,
  repo,
  tempDir,
  testCalendar,
  testDeps,
  testWorker,
} from './support/temporal';
import { productionStores } from './support/stores';
import { call, drillWindow, enc, oid, upload } from './support/web';
import { readEnv } from '../config/env';
import { startWeb } from '../web/start';
import type { PgUserStore } from '../auth/users-pg';

const onCluster = Boolean(process.env.LANTIAN_TEST_TEMPORAL_ADDRESS);
jest.setTimeout(600_000);
const cluster = (...args: string[]) =>
  promisify(execFile)('bash', [path.join(repo, 'scripts', 'cluster.sh'), ...args], { maxBuffer: 1 << 24 });
const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

(onCluster ? test : test.skip)(
  'a backup restored onto an emptied cluster: the obligation goes on and takes its review, its evidence downloads unchanged, users keep their tokens',
  async () => {
    const { schema, objects } = await productionStores();
    const calendar = testCalendar(2026, 2032, ['2031-01-01']);
    const taskQueue = 'lantian-backup';
    // The same file name gives the same namespace on the cluster, before and after the restore.
    const temporalDb = path.join(tempDir('backup'), 'temporal.db');
    // The web app's data folder holds its actor key, which the launched obligations trust.
    const config = readEnv({
      LANTIAN_DATA_DIR: tempDir('backup-web'),
      LANTIAN_POLICIES_DIR: fixturePoliciesDir,
      LANTIAN_TASK_QUEUE: taskQueue,
      LANTIAN_WEB_CACHE_SECONDS: '0',
      LANTIAN_SEASON_WINDOW: drillWindow(),
      LANTIAN_SESSION_SECRET: 'backup-session-secret-0123456789abcdef0123',
      LANTIAN_DATABASE_URL: schema.url,
      LANTIAN_OBJECT_STORE_URL: objects,
    });
    const system = async () => {
      const env = await devServerEnv(temporalDb);
      const worker = await testWorker(env, testDeps(calendar), taskQueue);
      const running = worker.run();
      const web = await startWeb<PgUserStore>(config, env.client, fixturePolicies(), calendar, 0);
      return {
        web,
        url: web.url,
        async close() {
          await web.close();
          worker.shutdown();
          await running;
          await env.teardown();
        },
      };
    };
    const id = oid('coal-boilers', '130100');
    const file = Buffer.concat([Buffer.from('%PDF-1.7\n'), crypto.randomBytes(300 * 1024), Buffer.from('\n%%EOF\n')]);
    const backup = tempDir('cluster-backup');

    const before = await system();
    let office: { token: string };
    let city: { token: string };
    try {
      office = await before.web.deps.users.add(`office-${Date.now()}`, 'office');
      city = await before.web.deps.users.add(`sjz-${Date.now()}`, 'assignee', '130100');
      const launched = await call(`${before.url}/api/campaigns/drill/launch`, {
        method: 'POST',
        token: office.token,
        json: { season: 2030 },
      });
      expect(launched.status).toBe(200);
      const uploaded = await call(`${before.url}/api/obligations/${enc(id)}/evidence`, {
        method: 'POST',
        token: city.token,
        body: upload({ quantity: '12' }, { name: '锅炉淘汰台账.pdf', content: file }),
      });
      expect(uploaded.status).toBe(200);
      expect(uploaded.body.receipt.sha256).toBe(sha256(file));
      await cluster('backup', backup);
    } finally {
      await before.close();
    }

    const { stderr } = await cluster('restore', backup);
    expect(stderr).toMatch(/restored from/);
    const after = await system();
    try {
      const rec = await call(`${after.url}/api/obligations/${enc(id)}`, { token: office.token });
      expect(rec.status).toBe(200);
      expect(rec.body).toMatchObject({ status: 'submitted' });
      expect(rec.body.evidence).toMatchObject([{ id: 'E1', fileName: '锅炉淘汰台账.pdf', sha256: sha256(file) }]);
      const download = await fetch(`${after.url}/api/obligations/${enc(id)}/evidence/E1`, {
        headers: { authorization: `Bearer ${city.token}` },
      });
      expect(download.status).toBe(200);
      expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(file));
      // The workflow runs on the restored server: the office's review closes it.
      const review = await call(`${after.url}/api/obligations/${enc(id)}/evidence/E1/review`, {
        method: 'POST',
        token: office.token,
        json: { decision: 'accept', reason: '核实无误' },
      });
      expect(review.body).toMatchObject({ state: 'accepted' });
      let status = '';
      for (let i = 0; i < 50 && status !== 'met'; i++) {
        status = (await call(`${after.url}/api/obligations/${enc(id)}`, { token: office.token })).body.status;
        if (status !== 'met') await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toBe('met');
    } finally {
      await after.close();
      await schema.drop();
    }
  },
);
