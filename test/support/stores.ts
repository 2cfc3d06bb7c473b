// Production storage for tests: PostgreSQL and the S3-compatible store named by
// LANTIAN_TEST_DATABASE_URL / LANTIAN_TEST_OBJECT_STORE_URL (or LANTIAN_DATABASE_URL /
// LANTIAN_OBJECT_STORE_URL), or, under `npm run test:cluster`, the cluster's (scripts/cluster.sh
// writes them to its env file). Each test file gets a schema of its own and drops it after.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { Pool } from 'pg';
import { clusterAddress, repo } from './temporal';
import { migrate } from '../../db/migrate';
import { openPool } from '../../db/pool';
import { ensureBucket, s3FromUrl } from '../../storage/object-store';

export interface ProductionUrls {
  database: string;
  objects: string;
}

export function productionUrls(): ProductionUrls | undefined {
  const database = process.env.LANTIAN_TEST_DATABASE_URL || process.env.LANTIAN_DATABASE_URL;
  const objects = process.env.LANTIAN_TEST_OBJECT_STORE_URL || process.env.LANTIAN_OBJECT_STORE_URL;
  if (database && objects) return { database, objects };
  if (!clusterAddress) return undefined;
  const file = path.join(process.env.LANTIAN_CLUSTER_DIR || path.join(repo, '.data', 'cluster'), 'env');
  const vars = Object.fromEntries(
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { database: vars.LANTIAN_DATABASE_URL, objects: vars.LANTIAN_OBJECT_STORE_URL };
}

/** A fresh schema: the database URL that uses it (search_path), and a drop for afterAll. */
export async function freshSchema(database: string): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `lantian_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new Pool({ connectionString: database, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const u = new URL(database);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: u.toString(),
    async drop() {
      const p = new Pool({ connectionString: database, max: 1 });
      await p.query(`DROP SCHEMA ${schema} CASCADE`);
      await p.end();
    },
  };
}

/** The object store URL with a test bucket of its own (created on first use). */
export function testBucket(objects: string): string {
  const u = new URL(objects);
  u.pathname = '/lantian-test';
  return u.toString();
}

/** A fresh, migrated schema of the cluster's PostgreSQL and a bucket of its object store, for one test. */
export async function productionStores() {
  const urls = productionUrls()!;
  const schema = await freshSchema(urls.database);
  const objects = testBucket(urls.objects);
  const setup = openPool(schema.url, 2);
  await migrate(setup);
  await setup.end();
  const s3 = s3FromUrl(objects);
  await ensureBucket(s3.client, s3.bucket);
  s3.client.destroy();
  return { schema, objects };
}
