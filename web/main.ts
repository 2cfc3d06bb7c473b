// `npm run web`: the web app and HTTP API alone, against TEMPORAL_ADDRESS (the production
// topology's lantian-api service; `npm start` serves the same app beside the worker).
import { actorKeyConfig, actorProofInterceptors } from '../client/actor-keys';
import { Client, Connection } from '@temporalio/client';
import { readEnv } from '../config/env';
import { loadPolicies } from '../planner/load';
import { liveCalendar } from '../domain/calendar';
import { startWeb } from './start';

async function main() {
  const env = readEnv();
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: 5000 });
  // Every change the app makes carries Lantian's signature of who made it.
  const client = new Client({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    interceptors: actorProofInterceptors(actorKeyConfig(env)),
  });
  const web = await startWeb(env, client, loadPolicies(env.LANTIAN_POLICIES_DIR), liveCalendar());
  console.log(`Lantian web app and API: ${web.url}  (OpenAPI: ${web.url}/docs)`);
  const stop = async () => {
    await web.close();
    await connection.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e) => {
  console.error(`lantian: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
