// One connection pool per process for LANTIAN_DATABASE_URL. Failing to connect says where to.
import { Pool } from 'pg';

export function openPool(url: string, max = 10): Pool {
  const pool = new Pool({ connectionString: url, max, connectionTimeoutMillis: 5000 });
  // An idle connection the server dropped (a restart): the pool replaces it; not a crash.
  pool.on('error', () => undefined);
  return pool;
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
