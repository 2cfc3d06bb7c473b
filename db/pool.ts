// One connection pool per process for LANTIAN_DATABASE_URL. Failing to connect says where to.
import { Pool } from 'pg';

/**
 * Host names and ports of every database a pool was opened on, to tell its refused connections
 * from others'. A socket error names the resolved address, not the URL's host (postgresql,
 * localhost), so a refused connect is matched on its port and a failed lookup on its host name.
 */
const databaseHosts = new Set<string>();
const databasePorts = new Set<string>();

/** `allowExitOnIdle`: a CLI command's pool, which must not keep the process alive when idle. */
export function openPool(url: string, max = 10, o: { allowExitOnIdle?: boolean } = {}): Pool {
  const pool = new Pool({ connectionString: url, max, connectionTimeoutMillis: 5000, ...o });
  // An idle connection the server dropped (a restart): the pool replaces it; not a crash.
  pool.on('error', () => undefined);
  // Nor one dropped while checked out between two queries (a transaction): the pool listens only
  // to idle clients, and an 'error' nobody listens to ends the process. The next query on it fails
  // (and is answered 503), and the pool discards it when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    const u = new URL(url);
    databaseHosts.add(u.hostname);
    databasePorts.add(u.port || '5432');
  } catch {
    // node-postgres reports an unparseable URL itself, on first use.
  }
  return pool;
}

/**
 * The database cannot serve now (down, restarting, out of connections) rather than refusing
 * what was asked: a request answered 503 and retried later, not a 500. Judged from the error and
 * its causes: PostgreSQL's connection and shutdown codes (classes 08 and 57P, 53300), the pool's
 * and client's words for a lost or timed-out connection, and a refused connection to a database
 * address a pool was opened on.
 */
export function databaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const x = e as {
      code?: unknown;
      severity?: unknown;
      message?: unknown;
      port?: unknown;
      hostname?: unknown;
      syscall?: unknown;
    };
    const code = typeof x.code === 'string' ? x.code : '';
    if (x.severity && /^(08|57P0[1-3]$|53300$)/.test(code)) return true;
    if (
      /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/.test(
        String(x.message ?? ''),
      )
    )
      return true;
    if (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH)$/.test(code) && databasePorts.has(String(x.port)))
      return true;
    if (/^(ENOTFOUND|EAI_AGAIN)$/.test(code) && databaseHosts.has(String(x.hostname))) return true;
    // A connection dropped mid-query reports its socket's error, with no address to match: the
    // web app's only plain sockets are its database's (Temporal's and S3's errors come wrapped).
    if (/^(ECONNRESET|EPIPE)$/.test(code) && /^(read|write)$/.test(String(x.syscall))) return true;
  }
  return false;
}

/** The URL without its password, for messages. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
