// Which failures a request answers 503 ("not now") rather than 500: a database or a Temporal
// server that is restarting, in the shapes their clients report it.
import { databaseUnavailable, openPool } from '../db/pool';
import { temporalTrouble } from '../web/server';

const errnoError = (message: string, fields: Record<string, unknown>) => Object.assign(new Error(message), fields);

test('the database: shutdown and connection codes, a lost connection, a refused connect to its port; not a bad query', async () => {
  const pool = openPool('postgres://lantian@db.example:6543/lantian', 1);
  await pool.end();
  const pgError = (code: string) => Object.assign(new Error('x'), { severity: 'FATAL', code });
  expect(databaseUnavailable(pgError('57P01'))).toBe(true); // admin shutdown
  expect(databaseUnavailable(pgError('57P03'))).toBe(true); // starting up
  expect(databaseUnavailable(pgError('08006'))).toBe(true);
  expect(databaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
  expect(
    databaseUnavailable(errnoError('connect ECONNREFUSED 10.0.0.5:6543', { code: 'ECONNREFUSED', port: 6543 })),
  ).toBe(true);
  // Dropped mid-query: the socket's own error, no address on it.
  expect(databaseUnavailable(errnoError('read ECONNRESET', { code: 'ECONNRESET', syscall: 'read' }))).toBe(true);
  expect(databaseUnavailable(new Error('wrapped', { cause: pgError('57P02') }))).toBe(true);

  expect(databaseUnavailable(pgError('23505'))).toBe(false); // unique violation: a real failure
  expect(
    databaseUnavailable(errnoError('connect ECONNREFUSED 10.0.0.5:9000', { code: 'ECONNREFUSED', port: 9000 })),
  ).toBe(false);
  expect(databaseUnavailable(new TypeError('x is undefined'))).toBe(false);
});

test('Temporal: unavailable, busy, or its own database restarting behind an INTERNAL error; not a refusal', () => {
  const grpc = (code: number, message: string) => Object.assign(new Error(message), { code });
  expect(temporalTrouble(grpc(14, '14 UNAVAILABLE: No connection established'))).toBe('unreachable');
  expect(temporalTrouble(grpc(4, '4 DEADLINE_EXCEEDED'))).toBe('busy');
  expect(temporalTrouble(grpc(8, '8 RESOURCE_EXHAUSTED: namespace rate limit exceeded'))).toBe('busy');
  expect(
    temporalTrouble(
      new Error('list failed', {
        cause: grpc(
          13,
          '13 INTERNAL: ListWorkflowExecutions failed: dial tcp 127.0.0.1:55432: connect: connection refused',
        ),
      }),
    ),
  ).toBe('unreachable');
  expect(temporalTrouble(grpc(13, '13 INTERNAL: pq: the database system is shutting down'))).toBe('unreachable');
  expect(temporalTrouble(grpc(3, '3 INVALID_ARGUMENT: invalid query'))).toBeUndefined();
  expect(temporalTrouble(new Error('workflow not found'))).toBeUndefined();
});
