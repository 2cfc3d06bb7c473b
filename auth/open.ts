// Where the user database lives: LANTIAN_DB_FILE when the topology names one, else the data
// folder; the key that signs sessions comes from LANTIAN_SESSION_SECRET or its own key file.
import { dataPaths, type Env } from '../config/env';
import { UserStore } from './users';

export function usersDbFile(env: Env): string {
  return env.LANTIAN_DB_FILE ?? dataPaths(env.LANTIAN_DATA_DIR).usersDb;
}

export function sessionKeySource(env: Env): Buffer | { file: string } {
  return env.LANTIAN_SESSION_SECRET
    ? Buffer.from(env.LANTIAN_SESSION_SECRET, 'utf8')
    : { file: env.LANTIAN_SESSION_KEY_FILE ?? dataPaths(env.LANTIAN_DATA_DIR).sessionKey };
}

export function openUsers(env: Env): UserStore {
  return new UserStore(usersDbFile(env), {
    key: sessionKeySource(env),
    login: { maxFailures: env.LANTIAN_LOGIN_MAX_FAILURES, lockMs: env.LANTIAN_LOGIN_LOCK_MINUTES * 60_000 },
  });
}
