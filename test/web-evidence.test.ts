// Evidence is seen before it is judged: the file as the API, the pages and the CLI return it —
// inline for PDF and images, an attachment under its original name otherwise, never sniffed,
// sandboxed; an assignee only its own organisation's (another's is not found); each download
// recorded in the users database (not the workflow) and listed for the office and supervisor.
import fs from 'node:fs';
import path from 'node:path';
import { call, enc, login, oid, startWebEnv, upload, type WebEnv } from './support/web';
import { runCli } from './support/cli';
import { fixturePoliciesDir } from './support/temporal';
import { contentDisposition } from '../web/actions';
import { ObjectStoreUnavailable } from '../storage/object-store';

let w: WebEnv;
const api = (p: string) => `${w.url}/api${p}`;
const as = (name: string) => w.tokens[name];
const sjzBoilers = oid('coal-boilers', '130100');
const pdf = Buffer.from('%PDF-1.7\nevidence preview\n%%EOF\n');
const csv = Buffer.from('日期,台数\n2030-11-01,12\n');

beforeAll(async () => {
  w = await startWebEnv();
  const launched = await call(api('/campaigns/drill/launch'), {
    method: 'POST',
    token: as('office1'),
    json: { season: 2030 },
  });
  expect(launched.status).toBe(200);
  await w.web.deps.index.refresh();
  for (const [name, content] of [
    ['清单 report.pdf', pdf],
    ['台账清单.csv', csv],
  ] as const) {
    const r = await call(api(`/obligations/${enc(sjzBoilers)}/evidence`), {
      method: 'POST',
      token: as('sjz'),
      body: upload({ quantity: '12' }, { name, content }),
    });
    expect(r.status).toBe(200);
  }
});
afterAll(async () => {
  await w?.teardown();
});

test('Content-Disposition names the original file in UTF-8 (RFC 5987) with an ASCII fallback', () => {
  expect(contentDisposition('attachment', '台账 "a";b.csv')).toBe(
    `attachment; filename="__ _a__b.csv"; filename*=UTF-8''%E5%8F%B0%E8%B4%A6%20%22a%22%3Bb.csv`,
  );
  expect(contentDisposition('inline', "it's (1).pdf")).toBe(
    `inline; filename="it's (1).pdf"; filename*=UTF-8''it%27s%20%281%29.pdf`,
  );
});

test('the API returns the file: PDF inline, CSV as an attachment, nosniff and a sandboxing CSP; another city 404', async () => {
  for (const who of ['office1', 'super1', 'sjz']) {
    const r = await fetch(api(`/obligations/${enc(sjzBoilers)}/evidence/E1`), {
      headers: { authorization: `Bearer ${as(who)}` },
    });
    expect({ who, status: r.status }).toEqual({ who, status: 200 });
    expect(r.headers.get('content-type')).toBe('application/pdf');
    expect(r.headers.get('content-disposition')).toBe(
      `inline; filename="__ report.pdf"; filename*=UTF-8''%E6%B8%85%E5%8D%95%20report.pdf`,
    );
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('content-security-policy')).toMatch(/^default-src 'none'; sandbox/);
    expect(Buffer.from(await r.arrayBuffer())).toEqual(pdf);
  }
  const attached = await fetch(api(`/obligations/${enc(sjzBoilers)}/evidence/E2`), {
    headers: { authorization: `Bearer ${as('office1')}` },
  });
  expect(attached.headers.get('content-type')).toMatch(/^text\/csv/);
  expect(attached.headers.get('content-disposition')).toMatch(
    /^attachment; filename="[^"]*"; filename\*=UTF-8''%E5%8F%B0%E8%B4%A6%E6%B8%85%E5%8D%95\.csv$/,
  );
  expect(Buffer.from(await attached.arrayBuffer())).toEqual(csv);

  // Another organisation's evidence is not found, as its record is not; so is evidence that does not exist.
  const other = await call(api(`/obligations/${enc(sjzBoilers)}/evidence/E1`), { token: as('tangshan') });
  expect(other).toMatchObject({ status: 404, body: { error: 'obligation_not_found' } });
  expect((await call(api(`/obligations/${enc(sjzBoilers)}/evidence/E9`), { token: as('office1') })).status).toBe(404);
  expect((await call(api(`/obligations/${enc(sjzBoilers)}/evidence/E1`))).status).toBe(401);

  // Declared in the OpenAPI document with its refusals.
  const docs = await call(`${w.url}/docs/json`);
  const op = docs.body.paths['/api/obligations/{id}/evidence/{evidenceId}'].get;
  expect(op.operationId).toBe('getEvidenceFile');
  expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '401', '404']));
});

test('downloads are recorded in the users database, not the workflow, and listed for the office and supervisor', async () => {
  const before = await call(api(`/obligations/${enc(sjzBoilers)}`), { token: as('office1') });
  const events = before.body.timeline.length;
  await call(api(`/obligations/${enc(sjzBoilers)}/evidence/E2`), { token: as('super1') });
  const log = w.web.deps.users.downloads(sjzBoilers);
  expect(log[0]).toMatchObject({ evidenceId: 'E2', user: 'super1', role: 'supervisor' });
  expect(log.filter((r) => r.user === 'tangshan')).toEqual([]);
  const after = await call(api(`/obligations/${enc(sjzBoilers)}`), { token: as('office1') });
  expect(after.body.timeline).toHaveLength(events);

  const office = await login(w.url, 'office1', w.passwords.office1);
  const page = await call(`${w.url}/obligations/${enc(sjzBoilers)}`, { headers: { cookie: office.cookie } });
  expect(page.text).toContain('下载记录');
  expect(page.text).toContain(`<iframe class="preview" src="/obligations/${enc(sjzBoilers)}/evidence/E1"`);
  expect(page.text).toMatch(/<td>[^<]*<\/td><td>E2 台账清单.csv<\/td><td>super1<\/td>/);
  const csp = (
    await fetch(`${w.url}/obligations/${enc(sjzBoilers)}`, { headers: { cookie: office.cookie } })
  ).headers.get('content-security-policy');
  expect(csp).toContain("frame-src 'self'");

  // The review queue previews the file beside the decision.
  const review = await call(`${w.url}/review`, { headers: { cookie: office.cookie } });
  expect(review.text).toContain(`src="/obligations/${enc(sjzBoilers)}/evidence/E1"`);

  // The page route serves the file too; the city sees no download log.
  const file = await fetch(`${w.url}/obligations/${enc(sjzBoilers)}/evidence/E1`, {
    headers: { cookie: office.cookie },
  });
  expect(file.status).toBe(200);
  expect(file.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  const city = await login(w.url, 'sjz', w.passwords.sjz);
  const cityPage = await call(`${w.url}/obligations/${enc(sjzBoilers)}`, { headers: { cookie: city.cookie } });
  expect(cityPage.text).not.toContain('下载记录');
  const ts = await login(w.url, 'tangshan', w.passwords.tangshan);
  const refused = await call(`${w.url}/obligations/${enc(sjzBoilers)}/evidence/E1`, { headers: { cookie: ts.cookie } });
  expect(refused.status).toBe(404);
  expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
});

test('a file opened again is served from what the first download learnt, recorded each time, still scoped', async () => {
  const path1 = api(`/obligations/${enc(sjzBoilers)}/evidence/E1`);
  const get = (who: string) => fetch(path1, { headers: { authorization: `Bearer ${as(who)}` } });
  const opened = async () =>
    (await w.web.deps.users.downloads(sjzBoilers)).filter((r) => r.user === 'super1' && r.evidenceId === 'E1').length;
  const before = await opened();
  expect((await get('super1')).status).toBe(200);

  // Warm: neither the supervisor's second download nor another city's refusal asks the workflow.
  const queried = jest.spyOn(w.web.deps.client.workflow, 'getHandle');
  try {
    const again = await get('super1');
    expect(again.status).toBe(200);
    expect(again.headers.get('content-type')).toBe('application/pdf');
    expect(again.headers.get('content-length')).toBe(String(pdf.length));
    expect(Buffer.from(await again.arrayBuffer())).toEqual(pdf);
    expect(await opened()).toBe(before + 2);
    const [latest] = await w.web.deps.users.downloads(sjzBoilers);
    expect(latest).toMatchObject({ evidenceId: 'E1', user: 'super1', role: 'supervisor' });

    const other = await call(path1, { token: as('tangshan') });
    expect(other).toMatchObject({ status: 404, body: { error: 'obligation_not_found' } });
    expect((await w.web.deps.users.downloads(sjzBoilers)).filter((r) => r.user === 'tangshan')).toEqual([]);
    expect((await get('sjz')).status).toBe(200);
    expect(queried).not.toHaveBeenCalled();
  } finally {
    queried.mockRestore();
  }

  // Evidence that does not exist is still not found; an object-store outage is still "not now".
  expect(await call(api(`/obligations/${enc(sjzBoilers)}/evidence/E9`), { token: as('office1') })).toMatchObject({
    status: 404,
    body: { error: 'evidence_not_found' },
  });
  const outage = jest
    .spyOn(w.web.deps.stores.evidence, 'stream')
    .mockRejectedValue(new ObjectStoreUnavailable(new Error('connect ECONNREFUSED')));
  try {
    const down = await call(path1, { token: as('super1') });
    expect(down).toMatchObject({ status: 503, body: { error: 'unavailable_storage' } });
    expect(await opened()).toBe(before + 2);
  } finally {
    outage.mockRestore();
  }
});

test('the CLI copies a file out of the store under its name, or to --out, checked against its sha256', async () => {
  const cli = (args: string[], cwd = w.deps.dir) =>
    runCli(['evidence', 'get', ...args], {
      TEMPORAL_ADDRESS: w.env.address,
      TEMPORAL_NAMESPACE: w.env.namespace,
      LANTIAN_POLICIES_DIR: fixturePoliciesDir,
      LANTIAN_DATA_DIR: w.deps.dir,
      LANTIAN_USER: 'tester',
      PWD: cwd,
    });
  const out = path.join(w.deps.dir, 'copied.csv');
  const r = await cli([sjzBoilers, 'E2', '--out', out]);
  expect(r).toMatchObject({ code: 0 });
  expect(r.out).toContain(`${sjzBoilers} E2: 台账清单.csv (text/csv, ${csv.length} bytes) written to ${out}`);
  expect(fs.readFileSync(out)).toEqual(csv);
  // Not over an existing file without --force; an unknown evidence id says which there are.
  expect((await cli([sjzBoilers, 'E2', '--out', out])).err).toContain(
    `${out} 已存在：请换一个 --out，或加 --force 覆盖。`,
  );
  expect((await cli([sjzBoilers, 'E7', '--out', out])).err).toContain('没有材料 E7（现有材料：E1, E2）。');
  const piped = await cli([sjzBoilers, 'E1', '--out', '-']);
  expect(piped.out).toBe(pdf.toString());
});
