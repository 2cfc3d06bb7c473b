// Runtime configuration from the environment, validated once. docker-compose.yml sets these
// same names for the production topology (a test keeps the two in step).
import { z } from 'zod';
import path from 'node:path';
import { isEd25519PrivateKey } from './actor-key';

export const repoRoot = path.join(__dirname, '..');

const port = z.coerce.number().int().min(1).max(65535);
const bool = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false'])
    .default(fallback)
    .transform((v) => v === 'true');

/** An absolute URL of one of the given protocols; empty counts as unset. */
function storageUrl(protocols: string[], example: string) {
  return z
    .string()
    .optional()
    .transform((v) => (v?.trim() ? v.trim() : undefined))
    .refine((v) => {
      if (v === undefined) return true;
      try {
        const u = new URL(v);
        return protocols.includes(u.protocol) && !!u.hostname && u.pathname.length > 1;
      } catch {
        return false;
      }
    }, `write it as ${example}`);
}

export const envSchema = z.object({
  LANTIAN_DATA_DIR: z.string().default(path.join(repoRoot, '.data')),
  LANTIAN_POLICIES_DIR: z.string().default(path.join(repoRoot, 'policies')),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** The obligations' task queue; the 文号 registries use `<queue>-registry` beside it. */
  LANTIAN_TASK_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dot, underscore and hyphen')
    .refine((q) => !q.endsWith('-registry'), "must not end in -registry: that names the registries' queue beside it")
    .default('lantian'),
  /** Embedded dev server ports (npm start). */
  LANTIAN_TEMPORAL_PORT: port.default(7233),
  LANTIAN_TEMPORAL_UI_PORT: port.default(8233),
  LANTIAN_TEMPORAL_HTTP_PORT: port.default(7243),
  /** Retention of closed workflows in Temporal; the archive under the data folder keeps records beyond it. */
  LANTIAN_RETENTION_DAYS: z.coerce.number().int().min(1).default(3650),
  /** Start the embedded dev server with npm start (false: use TEMPORAL_ADDRESS as is). */
  LANTIAN_EMBEDDED_TEMPORAL: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** smtp://user:pass@host:port; unset writes .eml files to the outbox folder instead. */
  SMTP_URL: z.string().optional(),
  LANTIAN_MAIL_FROM: z.string().default('Lantian <lantian@localhost>'),
  /** How long a recipient's daily digest collects reminders after the first one (minutes). */
  LANTIAN_DIGEST_WINDOW_MINUTES: z.coerce.number().min(0).default(10),
  /**
   * Workflows kept in the worker's memory between tasks. Obligations wait weeks on timers; an
   * evicted one replays its (short) history at its next timer, so a small cache bounds memory.
   */
  LANTIAN_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(250),
  /** Threads running workflow code. The SDK's default is one; a deadline that falls for a
   * thousand obligations at once keeps one thread busy while the main thread runs activities. */
  LANTIAN_WORKFLOW_THREADS: z.coerce.number().int().min(1).default(2),
  /** Stack traces inside workflow code: the Temporal UI's stack-trace view and the line of a failed
   * workflow task. Off by default: the SDK records one for every promise a workflow creates. */
  LANTIAN_WORKFLOW_STACK_TRACES: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Users, sessions and API tokens (SQLite); default lantian.db in the data folder. */
  LANTIAN_DB_FILE: z.string().optional(),
  /** The actor key that signs every change (PEM); default <data dir>/actor-key.pem, created 0600. */
  LANTIAN_ACTOR_KEY_FILE: z.string().optional(),
  /**
   * The actor key itself, instead of the file: an Ed25519 private key as base64 PKCS#8 DER
   * (`openssl genpkey -algorithm ed25519 -outform DER | base64 -w0`). Every web instance and CLI
   * of a deployment must sign with the same key, and keep it across restarts: a key that changes
   * leaves every obligation launched before refusing changes.
   */
  LANTIAN_ACTOR_KEY: z
    .string()
    .refine((v) => isEd25519PrivateKey(v), 'not an Ed25519 private key in base64 PKCS#8 DER or PEM')
    .optional(),
  /** Public keys (hex, comma-separated) that obligations launched now trust beside the key file's (a key being replaced). */
  LANTIAN_ACTOR_PUBLIC_KEYS: z.string().optional(),
  /** The web app and HTTP API; npm start serves it unless LANTIAN_WEB=false. */
  LANTIAN_WEB: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  LANTIAN_WEB_HOST: z.string().default('127.0.0.1'),
  LANTIAN_WEB_PORT: port.default(8300),
  /** Evidence uploads larger than this are refused. */
  LANTIAN_UPLOAD_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(25 * 1024 * 1024),
  LANTIAN_SESSION_HOURS: z.coerce.number().min(0.01).default(8),
  /** Seconds the web app's list of obligations (from Temporal visibility) may be old. */
  LANTIAN_WEB_CACHE_SECONDS: z.coerce.number().min(0).default(10),
  /**
   * The key that signs session cookies and CSRF tokens (at least 32 characters). Unset: the key
   * file LANTIAN_SESSION_KEY_FILE names (default <data dir>/session.key), created 0600 if absent.
   * Never in the users database: whoever reads that file must not be able to log in.
   */
  LANTIAN_SESSION_SECRET: z.string().min(32, 'use at least 32 random characters').optional(),
  LANTIAN_SESSION_KEY_FILE: z.string().optional(),
  /** Session cookies marked Secure (the app is served over HTTPS, directly or behind a proxy). */
  LANTIAN_COOKIE_SECURE: bool('false'),
  /**
   * The proxies in front of the web app whose X-Forwarded-* headers are believed: false (none),
   * true (any), a hop count, or comma-separated addresses and CIDRs. A request a trusted proxy
   * received over HTTPS gets a Secure cookie.
   */
  LANTIAN_TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v): boolean | number | string =>
      v === 'true' ? true : v === 'false' || v === '' ? false : /^\d+$/.test(v) ? Number(v) : v,
    ),
  /** Failed logins for one name that lock it for LANTIAN_LOGIN_LOCK_MINUTES (counted over as many minutes). */
  LANTIAN_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
  LANTIAN_LOGIN_LOCK_MINUTES: z.coerce.number().positive().default(15),
  /** Login attempts (POST /login) one address may make per minute. */
  LANTIAN_LOGIN_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  /** Longest time to receive one whole request (headers and body, an upload included). */
  LANTIAN_HTTP_REQUEST_TIMEOUT_SECONDS: z.coerce.number().positive().default(120),
  /** Longest time to receive a request's headers. */
  LANTIAN_HTTP_HEADERS_TIMEOUT_SECONDS: z.coerce.number().positive().default(20),
  /** A connection on which nothing moves for this long is closed. */
  LANTIAN_HTTP_IDLE_TIMEOUT_SECONDS: z.coerce.number().positive().default(60),
  /** How long an idle keep-alive connection waits for its next request. */
  LANTIAN_HTTP_KEEP_ALIVE_SECONDS: z.coerce.number().positive().default(5),
  /** The web app's log (stdout, JSON lines): fatal, error, warn, info, debug, trace or silent. */
  LANTIAN_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  /**
   * Seasons that may be launched: how many before and after the season under way, "back,ahead"
   * (2,1 in 2026: 2024 to 2027). A typo such as 2100 would start hundreds of workflows that
   * cannot be taken back.
   */
  LANTIAN_SEASON_WINDOW: z
    .string()
    .regex(/^\d{1,2},\d{1,2}$/, 'write seasons back and ahead of the current one, e.g. 2,1')
    .default('2,1')
    .transform((v) => {
      const [back, ahead] = v.split(',').map(Number);
      return { back, ahead };
    }),
  /**
   * Production storage, both or neither: PostgreSQL (postgres://user:pass@host:port/db) for users,
   * sessions, the sent ledger, the letter index and the archive, and an S3-compatible bucket
   * (http(s)://key:secret@host:port/bucket) for evidence files and letters' PDFs. Unset: the data folder.
   */
  LANTIAN_DATABASE_URL: storageUrl(['postgres:', 'postgresql:'], 'postgres://user:password@host:5432/database'),
  LANTIAN_OBJECT_STORE_URL: storageUrl(['http:', 'https:'], 'https://key:secret@host:port/bucket'),
  LANTIAN_TEMPORAL_BIN: z.string().optional(),
  LANTIAN_TEMPORAL_TEST_SERVER_BIN: z.string().optional(),
});
export type Env = z.infer<typeof envSchema>;

export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`lantian: invalid environment:\n${lines.join('\n')}`);
  }
  // Half of production storage would split the state: users in PostgreSQL with evidence on one
  // host's disk, or the reverse. Refused before anything starts.
  const { LANTIAN_DATABASE_URL: db, LANTIAN_OBJECT_STORE_URL: objects } = parsed.data;
  if (!!db !== !!objects) {
    const [set, missing] = db
      ? ['LANTIAN_DATABASE_URL', 'LANTIAN_OBJECT_STORE_URL']
      : ['LANTIAN_OBJECT_STORE_URL', 'LANTIAN_DATABASE_URL'];
    throw new Error(
      `lantian: invalid environment:\n  ${missing}: not set while ${set} is; set both (PostgreSQL and the object store) or neither (the data folder)`,
    );
  }
  return parsed.data;
}

export const dataPaths = (dataDir: string) => ({
  root: dataDir,
  temporalDb: path.join(dataDir, 'temporal.db'),
  evidence: path.join(dataDir, 'evidence'),
  outbox: path.join(dataDir, 'outbox'),
  archive: path.join(dataDir, 'archive'),
  letters: path.join(dataDir, 'letters'),
  ledger: path.join(dataDir, 'ledger'),
  usersDb: path.join(dataDir, 'lantian.db'),
  sessionKey: path.join(dataDir, 'session.key'),
});
