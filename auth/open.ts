// Where the user database lives: LANTIAN_DB_FILE when the topology names one, else the data folder.
import { dataPaths, type Env } from '../config/env';
import { UserStore } from './users';

export function usersDbFile(env: Env): string {
  return env.LANTIAN_DB_FILE ?? dataPaths(env.LANTIAN_DATA_DIR).usersDb;
}

export function openUsers(env: Env): UserStore {
  return new UserStore(usersDbFile(env));
}
