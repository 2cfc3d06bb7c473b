// Every store's contract, one suite run against each implementation: the data folder and SQLite
// (always), and PostgreSQL plus the S3-compatible object store when production storage is
// reachable (LANTIAN_TEST_DATABASE_URL and LANTIAN_TEST_OBJECT_STORE_URL, or `npm run
// test:cluster`). Beside them: migrations applied twice change nothing, a database behind is
// refused at start, half-set configuration is refused, and on the cluster two web instances
// share one state while an unreachable object store refuses an upload with 503, storing nothing.
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { Pool } from 'pg';
import { readEnv, type Env } from '../config/env';
import { migrate, migrations, pendingMigrations, requireCurrentSchema } from '../db/migrate';
import { openPool } from '../db/pool';
import { UserStore, type Users } from '../auth/users';
import { PgUserStore } from '../auth/users-pg';
import { fileObjectStore, s3FromUrl, s3ObjectStore, ensureBucket, type ObjectStore } from '../storage/object-store';
import { EvidenceRefused } from '../storage/evidence-store';
import { fileSentLedger, pgSentLedger, type SentLedger } from '../storage/sent-ledger';
import { fileArchiveStore, pgArchiveStore, type ArchiveStore } from '../storage/archive';
import { fileLetterStore, pgLetterStore, type LetterStore, type StoredLetter } from '../storage/letters';
import { openStores, openWebStores } from '../storage/stores';
import { fileAirQualityStore, ImportRefused, type AirQualityStore, type ImportRequest } from '../storage/air-quality';
import { pgAirQualityStore } from '../storage/air-quality-pg';
import {
  fileTimelineStore,
  pgTimelineStore,
  type AssessmentTimelineStore,
  type TimelineAct,
} from '../storage/assessment-timeline';
import { startWeb, type RunningWeb } from '../web/start';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LantianWorker } from '../worker/registry';
import type { ObligationRecord } from '../domain/obligation';
import {
  devServerEnv,
  fixturePolicies,
  fixturePoliciesDir,
  tempDir,
  testCalendar,
  testDeps,
  testWorker,
} from './support/temporal';
import { call, drillWindow, enc, login, oid, upload } from './support/web';
import { startChannelServer } from './support/channels';
import { channelDelivery } from '../notices/channels';
import { freshSchema, productionUrls, testBucket } from './support/stores';
import { ApplicationFailure } from '@temporalio/common';
import { smtpMailer, messageIdFor, SEND_IN_PROGRESS, type OutgoingMail } from '../notices/mailer';
import { startTestSmtp } from './support/smtp';

const urls = productionUrls();

interface Impl {
  name: string;
  objects(layout: 'evidence' | 'letter-pdf'): ObjectStore;
  ledger(): SentLedger<{ n: number }>;
  archive(): ArchiveStore;
  letters(): LetterStore;
  users(): Users;
  airQuality(): AirQualityStore;
  timeline(): AssessmentTimelineStore;
}

/** One signing key, as every instance of a deployment shares one. */
const key = crypto.randomBytes(32);

const fileImpl = (): Impl => {
  const dir = tempDir('stores');
  return {
    name: 'data folder + SQLite',
    objects: (layout) => fileObjectStore(path.join(dir, layout), layout),
    ledger: () => fileSentLedger(path.join(dir, 'ledger')),
    archive: () => fileArchiveStore(path.join(dir, 'archive')),
    letters: () => fileLetterStore(path.join(dir, 'letters')),
    users: () => new UserStore(path.join(dir, 'lantian.db'), { key }),
    airQuality: () => fileAirQualityStore(path.join(dir, 'air-quality')),
    timeline: () => fileTimelineStore(path.join(dir, 'air-quality')),
  };
};

let pool: Pool | undefined;
let schema: { url: string; drop(): Promise<void> } | undefined;
const s3Clients: { destroy(): void }[] = [];
const productionImpl = (): Impl => {
  const s3 = s3FromUrl(testBucket(urls!.objects));
  s3Clients.push(s3.client);
  return {
    name: 'PostgreSQL + S3',
    objects: (layout) => s3ObjectStore({ ...s3, prefix: layout === 'evidence' ? 'evidence/' : 'letters/' }, layout),
    ledger: () => pgSentLedger(pool!),
    archive: () => pgArchiveStore(pool!),
    letters: () => pgLetterStore(pool!, s3ObjectStore({ ...s3, prefix: 'letters/' }, 'letter-pdf')),
    users: () => new PgUserStore(pool!, schema!.url, key, { login: { maxFailures: 3, lockMs: 60_000 } }),
    airQuality: () => pgAirQualityStore(pool!),
    timeline: () => pgTimelineStore(pool!),
  };
};

beforeAll(async () => {
  if (!urls) return;
  schema = await freshSchema(urls.database);
  pool = openPool(schema.url);
  await migrate(pool);
  const s3 = s3FromUrl(testBucket(urls.objects));
  await ensureBucket(s3.client, s3.bucket);
  s3.client.destroy();
});
afterAll(async () => {
  s3Clients.forEach((c) => c.destroy());
  await pool?.end();
  await schema?.drop();
});

const random = (n = 64) => crypto.randomBytes(n);
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

const impls: [string, () => Impl][] = [['file', fileImpl]];
if (urls) impls.push(['production', productionImpl]);
else
  test.skip('PostgreSQL + S3 contract: set LANTIAN_TEST_DATABASE_URL and LANTIAN_TEST_OBJECT_STORE_URL or run npm run test:cluster', () => {});

describe.each(impls)('%s stores', (_label, make) => {
  let impl: Impl;
  beforeAll(() => {
    impl = make();
  });

  test('object store: content-addressed put, head, get, stream; the same bytes twice are stored once', async () => {
    const store = impl.objects('evidence');
    const data = random(5000);
    const first = await store.put(data);
    expect(first).toEqual({ sha256: sha(data), size: 5000, existed: false });
    expect(await store.put(data)).toEqual({ sha256: sha(data), size: 5000, existed: true });
    expect(await store.head(sha(data))).toEqual({ size: 5000 });
    expect(await store.get(sha(data))).toEqual(data);
    const chunks: Buffer[] = [];
    for await (const c of (await store.stream(sha(data)))!) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(data);
    const absent = sha(random());
    expect(await store.head(absent)).toBeUndefined();
    expect(await store.get(absent)).toBeUndefined();
    expect(await store.stream(absent)).toBeUndefined();
    expect(await store.head('../../etc/passwd')).toBeUndefined();
  });

  test('object store: a stream is measured on the way; empty or over the limit is refused and nothing kept', async () => {
    const store = impl.objects('evidence');
    const data = random(3000);
    const s = await store.putStream(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), 3000);
    expect(s).toEqual({ sha256: sha(data), size: 3000, existed: false });
    expect(await store.get(sha(data))).toEqual(data);
    const big = random(3001);
    await expect(store.putStream(Readable.from([big]), 3000)).rejects.toBeInstanceOf(EvidenceRefused);
    expect(await store.head(sha(big))).toBeUndefined();
    await expect(store.putStream(Readable.from([]), 3000)).rejects.toThrow('file is empty');
    await store.remove(sha(data));
    expect(await store.head(sha(data))).toBeUndefined();
  });

  test('sent ledger: insert-if-absent; of two concurrent records of one key exactly one stands', async () => {
    const ledger = impl.ledger();
    const k = `wf:${crypto.randomUUID()}#reminder`;
    expect(await ledger.get(k)).toBeUndefined();
    const results = await Promise.all([1, 2, 3, 4].map((n) => ledger.record(k, { n })));
    const won = results.filter((r) => r.recorded);
    expect(won).toHaveLength(1);
    for (const r of results) expect(r.entry).toEqual(won[0].entry);
    expect(await ledger.get(k)).toEqual(won[0].entry);
    // A second ledger object on the same storage (another worker) sees it too.
    expect(await impl.ledger().record(k, { n: 9 })).toEqual({ entry: won[0].entry, recorded: false });
  });

  test('archive: a closed record written (again, idempotently) and read back; an unknown ID is undefined', async () => {
    const archive = impl.archive();
    const record = {
      workflowId: `obligation:${crypto.randomUUID()}`,
      status: 'met',
      notices: [],
    } as unknown as ObligationRecord;
    await archive.write(record);
    await archive.write({ ...record, status: 'met-late' } as ObligationRecord);
    expect(await impl.archive().read(record.workflowId)).toEqual({ ...record, status: 'met-late' });
    expect(await archive.read('obligation:none')).toBeUndefined();
  });

  test('letters: the letter by its key, its PDF by digest, checked when read', async () => {
    const letters = impl.letters();
    const pdfBytes = Buffer.concat([Buffer.from('%PDF-1.7\n'), random(200)]);
    const pdf = await letters.writePdf(pdfBytes, '冀环督〔2030〕1号 督办函.pdf');
    expect(pdf).toEqual({
      file: `pdf/${sha(pdfBytes)}.pdf`,
      sha256: sha(pdfBytes),
      bytes: pdfBytes.length,
      filename: '冀环督〔2030〕1号 督办函.pdf',
    });
    const letter: StoredLetter = {
      key: `obligation:${crypto.randomUUID()}#escalation-1`,
      subject: '督办函',
      text: '石家庄市生态环境局：',
      html: '<p>石家庄市生态环境局：</p>',
      documentNumber: '冀环督〔2030〕1号',
      pdf,
      storedAt: new Date().toISOString(),
    };
    await letters.write(letter);
    await letters.write(letter);
    expect(await impl.letters().read(letter.key)).toEqual(letter);
    expect(await letters.readPdf(pdf)).toEqual(pdfBytes);
    expect(await letters.readPdf({ ...pdf, sha256: sha(random()) })).toBeUndefined();
    expect(await letters.read('none#x')).toBeUndefined();
  });

  test('users: add, log in, sessions, tokens, disable and reset take effect at once on another store object', async () => {
    const a = impl.users();
    const b = impl.users();
    const name = `u${crypto.randomBytes(3).toString('hex')}`;
    const created = await a.add(name, 'assignee', '130100');
    await expect(Promise.resolve().then(() => b.add(name, 'office'))).rejects.toThrow(`user ${name} already exists`);
    expect((await b.list()).map((u) => u.name)).toContain(name);
    const ok = await b.login(name, created.password);
    expect(ok).toMatchObject({ user: { name, role: 'assignee', org: '130100', disabled: false } });
    const s = await a.createSession((ok as { user: { id: number } }).user.id, 60_000);
    expect(await b.session(s.cookie)).toMatchObject({ user: { name } });
    expect(await b.byToken(created.token)).toMatchObject({ name });
    expect(await b.session(s.cookie.replace(/\.[^.]*$/, '.forged'))).toEqual({
      refused: 'session cookie signature is invalid',
    });

    await a.disable(name);
    expect(await b.session(s.cookie)).toEqual({ refused: 'session unknown or logged out' });
    expect(await b.byToken(created.token)).toBeUndefined();
    expect(await b.login(name, created.password)).toEqual({ refused: 'invalid' });
    await a.enable(name);
    const fresh = await a.reset(name);
    expect(await b.byToken(created.token)).toBeUndefined();
    expect(await b.byToken(fresh.token)).toMatchObject({ name });
    await expect(Promise.resolve().then(() => a.reset('nobody-here'))).rejects.toThrow('no user nobody-here');
    await a.close();
    await b.close();
  });

  test('users: failed logins lock the name on every store object; a reset ends the lock', async () => {
    const a = impl.users();
    const b = impl.users();
    const name = `l${crypto.randomBytes(3).toString('hex')}`;
    const created = await a.add(name, 'office');
    const now = Date.now();
    const max = impl.name.startsWith('PostgreSQL') ? 3 : 5;
    for (let i = 0; i < max; i++)
      expect(await (i % 2 ? a : b).login(name, 'wrong', now)).toEqual({ refused: 'invalid' });
    expect(await a.failures(name, now)).toBe(max);
    expect(await b.login(name, created.password, now)).toMatchObject({ refused: 'locked' });
    const again = await a.reset(name);
    expect(await b.login(name, again.password, now)).toMatchObject({ user: { name } });
    await a.close();
    await b.close();
  });

  const aqRequest = (
    campaignId: string,
    days: string[],
    pm25: number,
    more: Partial<ImportRequest> = {},
  ): ImportRequest => ({
    campaignId,
    season: 2030,
    kind: 'observed',
    rows: days.map((date, i) => ({ date, code: '130100', pm25, aqi: 100 + i, line: i + 2 })),
    source: `${campaignId}.csv`,
    sha256: sha(Buffer.from(`${campaignId}${pm25}${days.join()}`)),
    by: 'test',
    ...more,
  });
  const octDays = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => `2030-10-${String(from + i).padStart(2, '0')}`);

  test('air quality: an import is all or nothing; a refused one leaves the figures and the log as they were', async () => {
    const store = impl.airQuality();
    const c = `c-${crypto.randomUUID()}`;
    expect(await store.importSeries(aqRequest(c, octDays(1, 5), 50))).toMatchObject({ added: 5, noop: false });
    const before = await store.readSeries(c, 2030, 'observed');
    expect(Object.keys(before.days['130100'])).toHaveLength(5);
    expect(before.log).toHaveLength(1);
    // Five new days and one changed day: refused whole, the new days not stored either.
    const mixed = aqRequest(c, octDays(5, 10), 50);
    mixed.rows[0] = { ...mixed.rows[0], pm25: 51 };
    await expect(store.importSeries(mixed)).rejects.toBeInstanceOf(ImportRefused);
    await expect(store.importSeries(mixed)).rejects.toThrow(/1 day\(s\) already stored with different figures/);
    expect(await impl.airQuality().readSeries(c, 2030, 'observed')).toEqual(before);
    // A dry run checks and stores nothing; the same figures again are a no-op without a log entry.
    expect(await store.importSeries(aqRequest(c, octDays(6, 8), 50, { dryRun: true }))).toMatchObject({ added: 3 });
    expect(await store.importSeries(aqRequest(c, octDays(1, 5), 50))).toMatchObject({ noop: true, unchanged: 5 });
    expect(await impl.airQuality().readSeries(c, 2030, 'observed')).toEqual(before);
    expect((await store.readSeries(c, 2030, 'baseline')).days).toEqual({});
  });

  test('air quality: a replacement keeps its reason and the old and new figures in the log', async () => {
    const store = impl.airQuality();
    const c = `c-${crypto.randomUUID()}`;
    await store.importSeries(aqRequest(c, octDays(1, 3), 50));
    await expect(store.importSeries(aqRequest(c, octDays(1, 3), 55, { replace: { reason: ' ' } }))).rejects.toThrow(
      '--replace needs a --reason',
    );
    expect(
      await store.importSeries(aqRequest(c, octDays(1, 4), 55, { replace: { reason: '站点校准后更正' } })),
    ).toMatchObject({ added: 1, noop: false });
    const stored = await impl.airQuality().readSeries(c, 2030, 'observed');
    expect(stored.days['130100']).toEqual({
      '2030-10-01': [55, 100],
      '2030-10-02': [55, 101],
      '2030-10-03': [55, 102],
      '2030-10-04': [55, 103],
    });
    expect(stored.log.map((l) => [l.added, l.replaced.length, l.reason])).toEqual([
      [3, 0, undefined],
      [1, 3, '站点校准后更正'],
    ]);
    expect(stored.log[1].replaced[0]).toEqual({ code: '130100', date: '2030-10-01', was: [50, 100], now: [55, 100] });
    expect(stored.log[1]).toMatchObject({ by: 'test', source: `${c}.csv` });
  });

  test('air quality: concurrent imports of one series (two store objects) lose neither rows nor log entries', async () => {
    const c = `c-${crypto.randomUUID()}`;
    const batches = [octDays(1, 8), octDays(9, 16), octDays(17, 24), octDays(25, 31)];
    const results = await Promise.all(batches.map((d, i) => impl.airQuality().importSeries(aqRequest(c, d, 40 + i))));
    expect(results.map((r) => r.added)).toEqual(batches.map((d) => d.length));
    const stored = await impl.airQuality().readSeries(c, 2030, 'observed');
    expect(Object.keys(stored.days['130100']).sort()).toEqual(octDays(1, 31));
    expect(stored.log.map((l) => l.added).sort()).toEqual(batches.map((d) => d.length).sort());
    // The same days with different figures at once: one import stands, the other is refused
    // against it, not written over it unseen.
    await impl.airQuality().importSeries(aqRequest(`${c}-clash`, octDays(20, 20), 1));
    const clash = await Promise.allSettled(
      [60, 61].map((pm25) => impl.airQuality().importSeries(aqRequest(`${c}-clash`, octDays(1, 10), pm25))),
    );
    const won = clash.findIndex((r) => r.status === 'fulfilled');
    expect(clash.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((clash[1 - won] as PromiseRejectedResult).reason).toBeInstanceOf(ImportRefused);
    const after = await impl.airQuality().readSeries(`${c}-clash`, 2030, 'observed');
    expect(after.days['130100']['2030-10-01'][0]).toBe(60 + won);
    expect(after.log).toHaveLength(2);
  });

  test('air quality: a falsified-data mark is kept with its log; one without a reason is refused', async () => {
    const store = impl.airQuality();
    const c = `c-${crypto.randomUUID()}`;
    const mark = { reason: '采样头被遮挡', evidence: '现场检查记录', by: 'office', at: '2030-12-03T02:00:00.000Z' };
    await expect(store.markFalsified(c, 2030, '130100', { ...mark, reason: ' ' })).rejects.toBeInstanceOf(
      ImportRefused,
    );
    await store.markFalsified(c, 2030, '130100', mark);
    expect(await impl.airQuality().readFalsified(c, 2030)).toEqual({
      campaignId: c,
      season: 2030,
      marks: { '130100': mark },
      log: [{ code: '130100', action: 'marked', ...mark }],
    });
    expect((await store.readFalsified(c, 2031)).marks).toEqual({});
  });

  test('assessment timeline: an act recorded twice under one key stays one, the first standing', async () => {
    const timeline = impl.timeline();
    const c = `c-${crypto.randomUUID()}`;
    const act = (code: string, key: string, issuedAt: string, subject = '预警函'): TimelineAct => ({
      key,
      campaignId: c,
      season: 2030,
      code,
      name: code === '130100' ? '石家庄市' : '唐山市',
      point: 'stage-1',
      pointTitle: '第一阶段',
      act: 'warning-letter',
      verdict: 'fail',
      verdictCn: '不合格',
      reasons: ['PM2.5平均浓度70微克/立方米，高于目标63微克/立方米'],
      falsified: false,
      documentNumber: '冀环督〔2031〕1号',
      subject,
      to: ['sjz@example.cn'],
      cc: [],
      messageId: `<${key}@lantian>`,
      transport: 'smtp',
      issuedAt,
      issuedAtLocal: issuedAt,
    });
    const first = act('130100', `${c}:stage-1:130100`, '2031-01-15T01:00:00.000Z');
    expect(await timeline.record(first)).toEqual({ act: first, recorded: true });
    const again = await Promise.all([1, 2, 3].map(() => impl.timeline().record({ ...first, subject: '重发' })));
    for (const r of again) expect(r).toEqual({ act: first, recorded: false });
    const other = act('130200', `${c}:stage-1:130200`, '2031-01-15T00:30:00.000Z');
    await timeline.record(other);
    expect(await impl.timeline().read(c, 2030, '130100')).toEqual([first]);
    expect(await impl.timeline().read(c, 2030)).toEqual([other, first]);
    expect(await timeline.read(c, 2031)).toEqual([]);
  });

  test('users: evidence downloads are listed newest first for their obligation only', async () => {
    const users = impl.users();
    const wf = `obligation:${crypto.randomUUID()}`;
    await users.recordDownload(wf, 'E1', { name: 'super1', role: 'supervisor' }, new Date('2030-11-01T00:00:00Z'));
    await users.recordDownload(
      wf,
      'E2',
      { name: 'sjz', role: 'assignee', org: '130100' },
      new Date('2030-11-02T00:00:00Z'),
    );
    await users.recordDownload(`${wf}-other`, 'E1', { name: 'office1', role: 'office' });
    expect(await impl.users().downloads(wf)).toEqual([
      { evidenceId: 'E2', user: 'sjz', role: 'assignee', org: '130100', at: '2030-11-02T00:00:00.000Z' },
      { evidenceId: 'E1', user: 'super1', role: 'supervisor', at: '2030-11-01T00:00:00.000Z' },
    ]);
    await users.close();
  });
});

test('configuration: both storage URLs or neither; a half-set one is refused naming the missing variable', () => {
  const db = 'postgres://lantian:lantian@127.0.0.1:55432/lantian';
  const objects = 'http://key:secret@127.0.0.1:57000/lantian-evidence';
  expect(() => readEnv({ LANTIAN_DATABASE_URL: db })).toThrow(
    /LANTIAN_OBJECT_STORE_URL: not set while LANTIAN_DATABASE_URL is/,
  );
  expect(() => readEnv({ LANTIAN_OBJECT_STORE_URL: objects })).toThrow(
    /LANTIAN_DATABASE_URL: not set while LANTIAN_OBJECT_STORE_URL is/,
  );
  expect(() => readEnv({ LANTIAN_DATABASE_URL: 'mysql://x@h/db', LANTIAN_OBJECT_STORE_URL: objects })).toThrow(
    /LANTIAN_DATABASE_URL: write it as postgres:/,
  );
  expect(() => readEnv({ LANTIAN_DATABASE_URL: db, LANTIAN_OBJECT_STORE_URL: 'http://h:1/' })).toThrow(
    /LANTIAN_OBJECT_STORE_URL: write it as/,
  );
  expect(readEnv({ LANTIAN_DATABASE_URL: db, LANTIAN_OBJECT_STORE_URL: objects })).toMatchObject({
    LANTIAN_DATABASE_URL: db,
    LANTIAN_OBJECT_STORE_URL: objects,
  });
  const neither = readEnv({ LANTIAN_DATABASE_URL: '', LANTIAN_OBJECT_STORE_URL: '' });
  expect([neither.LANTIAN_DATABASE_URL, neither.LANTIAN_OBJECT_STORE_URL]).toEqual([undefined, undefined]);
});

test('the CLI refuses a half-set configuration at start', () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, '..', 'cli', 'main.ts'), 'user', 'list'],
    {
      env: { ...process.env, LANTIAN_DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db', LANTIAN_OBJECT_STORE_URL: '' },
      encoding: 'utf8',
    },
  );
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/LANTIAN_OBJECT_STORE_URL: not set while LANTIAN_DATABASE_URL is/);
});

(urls ? describe : describe.skip)('the channels ledger shared by two workers (PostgreSQL)', () => {
  test('a webhook notice delivered by one worker is found in the shared ledger by the other, not sent again', async () => {
    const secret = 'hebei-case-system-secret';
    const server = await startChannelServer({ webhooks: { hebei: secret } });
    try {
      const c = fixturePolicies().channels.get('130200')!;
      const directory = new Map([['130200', { webhook: { ...c.webhook!, url: `${server.url}/hooks/hebei` } }]]);
      const worker = () =>
        channelDelivery({
          directory,
          ledgerDir: tempDir('channel-ledger'),
          ledger: pgSentLedger(pool!),
          env: { LANTIAN_TEST_WEBHOOK_SECRET_HEBEI: secret },
        });
      const notice = {
        key: `lantian:drill:2030:x:130200#${crypto.randomUUID()}`,
        kind: 'reminder',
        organisation: { code: '130200', name: '唐山市' },
        subject: '提醒',
        text: '唐山市：\n\n正文。\n',
        issuedAt: new Date().toISOString(),
      };
      const first = await worker().deliver(notice, 1);
      const second = await worker().deliver(notice, 2);
      expect(server.delivered('webhook')).toHaveLength(1);
      expect(second.delivery).toEqual(first.delivery);
      expect(first.delivery.map((d) => d.state)).toEqual(['queued', 'sent', 'accepted']);
    } finally {
      await server.close();
    }
  });
});

(urls ? describe : describe.skip)('migrations (PostgreSQL)', () => {
  test('applied twice: the second run applies nothing and changes no table', async () => {
    const s = await freshSchema(urls!.database);
    const p = openPool(s.url, 2);
    try {
      await expect(requireCurrentSchema(p)).rejects.toThrow(/db migrate/);
      expect((await pendingMigrations(p)).length).toBe(migrations().length);
      expect((await migrate(p)).map((m) => m.version)).toEqual(migrations().map((m) => m.version));
      const tables = async () =>
        (
          await p.query<{ t: string }>(
            `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`,
          )
        ).rows.map((r) => r.t);
      const before = await tables();
      const applied = (await p.query('SELECT version, applied_at FROM schema_migrations ORDER BY 1')).rows;
      expect(await migrate(p)).toEqual([]);
      expect(await tables()).toEqual(before);
      expect((await p.query('SELECT version, applied_at FROM schema_migrations ORDER BY 1')).rows).toEqual(applied);
      await expect(requireCurrentSchema(p)).resolves.toBeUndefined();
      // Two processes migrating at once: the advisory lock lets one apply, the other finds nothing to do.
      const s2 = await freshSchema(urls!.database);
      const p2 = openPool(s2.url, 4);
      const both = await Promise.all([migrate(p2), migrate(p2)]);
      expect(both.map((d) => d.length).sort()).toEqual([0, migrations().length]);
      await p2.end();
      await s2.drop();
    } finally {
      await p.end();
      await s.drop();
    }
  });

  test('`lantian db migrate` applies the migrations, then finds nothing to do', async () => {
    const s = await freshSchema(urls!.database);
    const cli = (...args: string[]) =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', path.join(__dirname, '..', 'cli', 'main.ts'), 'db', 'migrate', ...args],
        {
          env: { ...process.env, LANTIAN_DATABASE_URL: s.url, LANTIAN_OBJECT_STORE_URL: testBucket(urls!.objects) },
          encoding: 'utf8',
        },
      );
    try {
      const first = cli('--json');
      expect(first.status).toBe(0);
      expect(JSON.parse(first.stdout).applied.map((m: { version: number }) => m.version)).toEqual(
        migrations().map((m) => m.version),
      );
      const second = cli();
      expect(second.status).toBe(0);
      expect(second.stdout).toMatch(/up to date .* nothing to do/);
      // The database is named without its password.
      expect(second.stdout).toContain(':***@');
    } finally {
      await s.drop();
    }
  });

  test('the worker and web stores refuse a database that is behind, saying to run db migrate', async () => {
    const s = await freshSchema(urls!.database);
    try {
      const env = readEnv({ LANTIAN_DATABASE_URL: s.url, LANTIAN_OBJECT_STORE_URL: testBucket(urls!.objects) });
      await expect(openStores(env)).rejects.toThrow(/database is behind.*npm run lantian -- db migrate/);
      const { activityDeps } = await import('../worker/create');
      const deps = activityDeps(env, undefined, '127.0.0.1:1');
      await expect(deps.storageReady!()).rejects.toThrow(/db migrate/);
      await deps.storageClose!();
      deps.mailer.close();
    } finally {
      await s.drop();
    }
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

test('an unreachable object store: putting is refused as unavailable, reading too; nothing is kept', async () => {
  const port = await closedPort();
  const s3 = s3FromUrl(`http://k:s@127.0.0.1:${port}/bucket`);
  s3Clients.push(s3.client);
  const store = s3ObjectStore({ ...s3, prefix: 'evidence/' }, 'evidence');
  const data = random(100);
  await expect(store.putStream(Readable.from([data]), 1000)).rejects.toMatchObject({ name: 'ObjectStoreUnavailable' });
  await expect(store.head(sha(data))).rejects.toMatchObject({ name: 'ObjectStoreUnavailable' });
  // The local temporary copy is gone too.
  expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('lantian-upload-'))).toEqual([]);
});

(urls ? describe : describe.skip)('two web instances on PostgreSQL and the object store (cluster)', () => {
  let env: TestWorkflowEnvironment;
  let worker: LantianWorker;
  let running: Promise<void>;
  const webs: RunningWeb<PgUserStore>[] = [];
  const dirs: string[] = [];
  let config: (dir: string) => Env;
  const tokens: Record<string, string> = {};
  const passwords: Record<string, string> = {};
  const TQ = 'lantian-storage-test';
  const calendar = testCalendar(2026, 2032, ['2031-01-01']);

  beforeAll(async () => {
    env = await devServerEnv(path.join(tempDir('storage-devserver'), 'temporal.db'));
    const deps = testDeps(calendar);
    worker = await testWorker(env, deps, TQ);
    running = worker.run();
    const secret = crypto.randomBytes(32).toString('hex');
    config = (dir) =>
      readEnv({
        LANTIAN_DATA_DIR: dir,
        LANTIAN_POLICIES_DIR: fixturePoliciesDir,
        LANTIAN_TASK_QUEUE: TQ,
        LANTIAN_WEB_CACHE_SECONDS: '0',
        LANTIAN_SEASON_WINDOW: drillWindow(),
        LANTIAN_SESSION_SECRET: secret,
        LANTIAN_DATABASE_URL: schema!.url,
        LANTIAN_OBJECT_STORE_URL: testBucket(urls!.objects),
      });
    for (const name of ['web-a', 'web-b']) {
      dirs.push(tempDir(name));
      webs.push(await startWeb<PgUserStore>(config(dirs.at(-1)!), env.client, fixturePolicies(), calendar, 0));
    }
    for (const [name, role, org] of [
      ['office1', 'office'],
      ['super1', 'supervisor'],
      ['sjz', 'assignee', '130100'],
    ] as const) {
      const u = await webs[0].deps.users.add(name, role, org);
      tokens[name] = u.token;
      passwords[name] = u.password;
    }
    const launched = await call(`${webs[1].url}/api/campaigns/drill/launch`, {
      method: 'POST',
      token: tokens.office1,
      json: { season: 2030 },
    });
    expect(launched.status).toBe(200);
    for (const w of webs) await w.deps.index.refresh();
  }, 120_000);
  afterAll(async () => {
    for (const w of webs) await w.close();
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  const boilers = oid('coal-boilers', '130100');
  const evidenceUrl = (w: RunningWeb<PgUserStore>) => `${w.url}/api/obligations/${enc(boilers)}/evidence`;

  test('an upload through one instance is seen and downloadable through the other; neither keeps it on its disk', async () => {
    const [a, b] = webs;
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), random(2000), Buffer.from('\n%%EOF\n')]);
    const r = await call(evidenceUrl(a), {
      method: 'POST',
      token: tokens.sjz,
      body: upload({ quantity: '12' }, { name: '清单.pdf', content: pdf }),
    });
    expect(r.status).toBe(200);
    const got = await fetch(`${evidenceUrl(b)}/${r.body.receipt.evidenceId}`, {
      headers: { authorization: `Bearer ${tokens.office1}` },
    });
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer())).toEqual(pdf);
    // The download B served is in the shared log that A reads.
    expect((await a.deps.users.downloads(boilers))[0]).toMatchObject({ user: 'office1', role: 'office' });
    for (const dir of dirs) expect(fs.existsSync(path.join(dir, 'evidence'))).toBe(false);
  });

  test('a user disabled in one instance is refused by the other at once (session and token)', async () => {
    const [a, b] = webs;
    const session = await login(b.url, 'super1', passwords.super1);
    expect((await call(`${b.url}/api/obligations`, { headers: { cookie: session.cookie } })).status).toBe(200);
    expect((await call(`${b.url}/api/obligations`, { token: tokens.super1 })).status).toBe(200);
    await a.deps.users.disable('super1');
    const bySession = await call(`${b.url}/api/obligations`, { headers: { cookie: session.cookie } });
    expect(bySession.status).toBe(401);
    expect(bySession.body.error).toEqual(expect.any(String));
    expect((await call(`${b.url}/api/obligations`, { token: tokens.super1 })).status).toBe(401);
  });

  test('object store down: an upload is refused with 503 and a Chinese message; nothing is stored or recorded', async () => {
    const port = await closedPort();
    const cfg = config(tempDir('web-c'));
    const shared = await openWebStores(cfg);
    const s3 = s3FromUrl(`http://k:s@127.0.0.1:${port}/lantian-test`);
    s3Clients.push(s3.client);
    const down = await startWeb<PgUserStore>(cfg, env.client, fixturePolicies(), calendar, 0, {
      stores: { ...shared, evidence: s3ObjectStore({ ...s3, prefix: 'evidence/' }, 'evidence') },
    });
    try {
      await down.deps.index.refresh();
      const content = Buffer.concat([Buffer.from('%PDF-1.7\n'), random(500), Buffer.from('\n%%EOF\n')]);
      const before = await call(`${webs[0].url}/api/obligations/${enc(boilers)}`, { token: tokens.office1 });
      const r = await call(evidenceUrl(down), {
        method: 'POST',
        token: tokens.sjz,
        body: upload({ quantity: '13' }, { name: '补充.pdf', content }),
      });
      expect(r.status).toBe(503);
      expect(r.body.error).toBe('unavailable_storage');
      expect(r.body.message).toMatch(/[\u4e00-\u9fff]/);
      expect(await webs[0].deps.stores.evidence.head(sha(content))).toBeUndefined();
      const after = await call(`${webs[0].url}/api/obligations/${enc(boilers)}`, { token: tokens.office1 });
      expect(after.body.evidence).toHaveLength(before.body.evidence.length);
    } finally {
      await down.close();
      await shared.close();
    }
  });
});

// Reservations to send, and the mailer on them: of two attempts of one notice running at once
// (a retry after a timeout while the first still sends, or two workers) only one sends.
describe.each(impls)('%s sent ledger reservations', (_label, make) => {
  let impl: Impl;
  beforeAll(() => {
    impl = make();
  });
  const fresh = () => `wf:${crypto.randomUUID()}#escalation:1-urging`;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  test('a live reservation refuses another holder; renewed and released only by its holder', async () => {
    const [a, b] = [impl.ledger(), impl.ledger()];
    const k = fresh();
    expect(await a.reserve(k, 'attempt-1', 60_000)).toEqual({ reserved: true });
    const refused = await b.reserve(k, 'attempt-2', 60_000);
    expect(refused.reserved).toBe(false);
    if (refused.reserved) return;
    expect(refused.current.holder).toBe('attempt-1');
    expect(refused.current.remainingMs).toBeGreaterThan(50_000);
    expect(refused.current.remainingMs).toBeLessThanOrEqual(60_000);
    expect(await b.renew(k, 'attempt-2', 60_000)).toBe(false);
    expect(await a.renew(k, 'attempt-1', 60_000)).toBe(true);
    await b.release(k, 'attempt-2');
    expect((await b.reserve(k, 'attempt-2', 60_000)).reserved).toBe(false);
    await a.release(k, 'attempt-1');
    expect(await b.reserve(k, 'attempt-2', 60_000)).toEqual({ reserved: true });
  });

  test('of concurrent reservations of one key, and of concurrent take-overs of a lapsed one, exactly one holds', async () => {
    const k = fresh();
    const first = await Promise.all([1, 2, 3, 4].map((n) => impl.ledger().reserve(k, `attempt-${n}`, 300)));
    expect(first.filter((r) => r.reserved)).toHaveLength(1);
    const holder = `attempt-${first.findIndex((r) => r.reserved) + 1}`;
    await sleep(400);
    // Its holder died: the lease lapsed, and one of the next attempts takes it over.
    const next = await Promise.all([5, 6, 7, 8].map((n) => impl.ledger().reserve(k, `attempt-${n}`, 60_000)));
    const took = next.filter((r) => r.reserved);
    expect(took).toHaveLength(1);
    expect(took[0]).toMatchObject({ reserved: true, tookOver: { holder } });
    expect(await impl.ledger().renew(k, holder, 60_000)).toBe(false);
    for (const r of next.filter((x) => !x.reserved)) expect(r).toMatchObject({ reserved: false });
  });

  test('two workers sending one notice at once deliver one message; the refused attempt fails retryably, its retry finds the delivery', async () => {
    const got: { key: string; messageId: string }[] = [];
    const smtp = await startTestSmtp({
      onMessage: (m) => got.push({ key: String(m.headers.get('x-lantian-key')), messageId: m.messageId ?? '' }),
    });
    const storage = impl.ledger() as SentLedger;
    const workers = [smtpMailer(smtp.url, storage), smtpMailer(smtp.url, impl.ledger() as SentLedger)];
    const mail = (key: string): OutgoingMail => ({
      key,
      from: 'lantian@localhost',
      to: ['environment-bureau.130100@placeholder.lantian.invalid'],
      cc: [],
      subject: '督办函',
      text: '请于5个工作日内书面报告整改情况。',
    });
    try {
      const key = fresh();
      const attempts = await Promise.allSettled([0, 1, 0, 1].map((w) => workers[w].deliver(mail(key))));
      expect(got.filter((g) => g.key === key)).toEqual([{ key, messageId: messageIdFor(key) }]);
      const sent = attempts.filter((a) => a.status === 'fulfilled' && !a.value.duplicate);
      expect(sent).toHaveLength(1);
      for (const a of attempts) {
        if (a.status === 'fulfilled') continue;
        // Refused while the other attempt held the key: retryable, and soon (within the lease).
        expect(a.reason).toBeInstanceOf(ApplicationFailure);
        expect(a.reason).toMatchObject({ type: SEND_IN_PROGRESS, nonRetryable: false });
      }
      const retry = await workers[1].deliver(mail(key));
      expect(retry).toMatchObject({ duplicate: true, messageId: messageIdFor(key) });
      expect(got.filter((g) => g.key === key)).toHaveLength(1);

      // An attempt that died mid-send left its reservation: the next attempt is refused until the
      // lease lapses, then sends again (the one allowed copy, with the same Message-ID).
      const orphan = fresh();
      await storage.reserve(orphan, 'killed-worker', 500);
      await expect(workers[0].deliver(mail(orphan))).rejects.toMatchObject({ type: SEND_IN_PROGRESS });
      expect(got.filter((g) => g.key === orphan)).toHaveLength(0);
      await sleep(600);
      expect(await workers[0].deliver(mail(orphan))).toMatchObject({ duplicate: false });
      expect(got.filter((g) => g.key === orphan)).toEqual([{ key: orphan, messageId: messageIdFor(orphan) }]);
    } finally {
      workers.forEach((w) => w.close());
      await smtp.close();
    }
  });
});
