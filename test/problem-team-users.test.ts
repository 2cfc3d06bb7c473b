// Inspection-team users in the SQLite store: a database from before the team role (a users table
// whose CHECK names three roles) is rebuilt in place with its users, sessions and login locks; a
// team user then needs its team id, and the table itself refuses one without.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { UserStore } from '../auth/users';
import { tempDir } from './support/temporal';

test('a users database from before the team role keeps its users, sessions and locks, and takes team users', () => {
  const file = path.join(tempDir('users-before-teams'), 'lantian.db');
  const key = Buffer.alloc(32, 7);
  // The layout before this role: made by hand, since today's store makes the new one.
  const db = new Database(file);
  db.exec(`
    CREATE TABLE users (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      role TEXT NOT NULL CHECK (role IN ('office','assignee','supervisor')),
      org TEXT,
      password_hash TEXT NOT NULL,
      token_id TEXT NOT NULL UNIQUE,
      token_hash TEXT NOT NULL,
      disabled INTEGER NOT NULL DEFAULT 0,
      created_at TEXT NOT NULL,
      CHECK ((role = 'assignee') = (org IS NOT NULL))
    );
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE sessions (id_sha256 TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), expires_at INTEGER NOT NULL);
    CREATE TABLE login_locks (user_id INTEGER PRIMARY KEY REFERENCES users(id), failures INTEGER NOT NULL,
      since INTEGER NOT NULL, locked_until INTEGER NOT NULL);
  `);
  db.close();
  // Users, a session and a lock as the store of that time wrote them (the same statements).
  const before = new Database(file);
  before.exec(`
    INSERT INTO users VALUES (1, 'office1', 'office', NULL, 'x', 'AAAAAAAA', 'x', 0, '2026-01-01');
    INSERT INTO users VALUES (2, 'sjz', 'assignee', '130100', 'x', 'BBBBBBBB', 'x', 1, '2026-01-02');
    INSERT INTO login_locks VALUES (2, 2, ${Date.now()}, 0);
  `);
  before.close();
  const old = new UserStore(file, { key });
  // Rebuilt on opening: the old rows are there as they were, the lock's count too.
  expect(old.list().map((u) => [u.id, u.name, u.role, u.org ?? null, u.disabled])).toEqual([
    [1, 'office1', 'office', null, false],
    [2, 'sjz', 'assignee', '130100', true],
  ]);
  expect(old.failures('sjz')).toBe(2);
  const s = old.createSession(1, 60_000);
  const team = old.add('zhang.wei', 'team', 'team-1');
  expect(team.user).toMatchObject({ role: 'team', org: 'team-1' });
  expect(() => old.add('li.na', 'team')).toThrow(/--team/);
  expect(() => old.add('super2', 'supervisor', 'team-1')).toThrow(/请去掉 --org/);
  // The table's own checks: a team without a team, or a role no one knows, is refused by SQLite too.
  expect(() =>
    old.db
      .prepare(
        `INSERT INTO users (name, role, org, password_hash, token_id, token_hash, created_at) VALUES ('t2', 'team', NULL, 'x', 'CCCCCCCC', 'x', 'now')`,
      )
      .run(),
  ).toThrow(/CHECK constraint/);
  expect(() =>
    old.db
      .prepare(
        `INSERT INTO users (name, role, org, password_hash, token_id, token_hash, created_at) VALUES ('t3', 'king', NULL, 'x', 'DDDDDDDD', 'x', 'now')`,
      )
      .run(),
  ).toThrow(/CHECK constraint/);
  // References still hold: a session of no user is refused (foreign keys are on again).
  expect(() => old.createSession(99, 60_000)).toThrow(/FOREIGN KEY/);
  old.close();

  // Opened again (the next start): nothing rebuilt twice, everything kept.
  const again = new UserStore(file, { key });
  expect(again.list().map((u) => u.name)).toEqual(['office1', 'sjz', 'zhang.wei']);
  expect('user' in again.session(s.cookie)).toBe(true);
  again.close();
  expect(fs.statSync(file).mode & 0o077).toBe(0);
});
