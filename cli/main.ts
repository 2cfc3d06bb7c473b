// `npm run lantian -- <command>`: the office's, assignee's and supervisor's command line.
import { Command } from 'commander';
import { registerPolicy } from './commands/policy';
import { registerCampaign } from './commands/campaign';
import { registerObligation, registerEvidence } from './commands/obligation';
import { registerNamespace } from './commands/namespace';
import { registerNotice } from './commands/notice';
import { registerData, registerAssessment, registerPace } from './commands/assessment';
import { registerUser } from './commands/user';
import { registerProblem } from './commands/problem';
import { registerDb } from './commands/db';

// `… --json | head`: the reader left; that is the end of the output, not a failure to report.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const program = new Command('lantian')
  .description('Lantian (蓝天): air-pollution campaign obligations as durable Temporal workflows')
  .showHelpAfterError();
registerPolicy(program);
registerCampaign(program);
registerObligation(program);
registerEvidence(program);
registerNamespace(program);
registerNotice(program);
registerData(program);
registerAssessment(program);
registerPace(program);
registerUser(program);
registerProblem(program);
registerDb(program);

program.parseAsync(process.argv).catch((e) => {
  process.stderr.write(`lantian: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
