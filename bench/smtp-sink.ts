// A mail server for the deadline-storm benchmark, in its own process as a real relay would be,
// so its parsing does not share the worker's event loop. It accepts everything and counts the
// messages whose X-Lantian-Key names a reminder (or, after a reset with `count: 'escalation'`,
// an escalation letter: the storm with PDF letters); the parent process asks over IPC.
//   → { reset: true, count? }    ← { reset: true }
//   → { until: n }               ← { reached: n, stamps: ms since reset of the 0/10/50/90/100 % message }
//   → { counts: true }           ← { reminders, other, duplicates, cpuS: CPU seconds this process used since reset }
// `reminders` counts distinct keys; `duplicates` the counted messages whose key had already arrived
// since the reset (a notice delivered twice), which do not count towards `until`.
import { SMTPServer } from 'smtp-server';

let reminders = 0;
let other = 0;
let duplicates = 0;
const keys = new Set<string>();
let t0 = performance.now();
let cpu0 = process.cpuUsage();
const stamps: number[] = [];
let target = Infinity;
let counted = /^X-Lantian-Key: \S*#reminder:/im;

const send = (m: unknown) => process.send!(m);

function quantiles() {
  const q = (f: number) => Math.round(stamps[Math.floor(f * (stamps.length - 1))] ?? NaN);
  return [q(0), q(0.1), q(0.5), q(0.9), q(1)];
}

function check() {
  if (reminders >= target) {
    send({ reached: reminders, stamps: quantiles() });
    target = Infinity;
  }
}

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, _session, cb) {
    let head = '';
    stream.on('data', (c: Buffer) => {
      if (head.length < 8192) head += c.toString('latin1');
    });
    stream.on('end', () => {
      // Long header values are folded over several lines: unfold before matching.
      const headers = head.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
      if (counted.test(headers)) {
        const key = /^X-Lantian-Key: (\S+)/im.exec(headers)![1];
        if (keys.has(key)) duplicates++;
        else {
          keys.add(key);
          reminders++;
          stamps.push(performance.now() - t0);
        }
      } else other++;
      cb();
      check();
    });
  },
});
// A sender killed mid-conversation (the restart bench) resets its connection: not the sink's failure.
server.on('error', () => undefined);

process.on('message', (m: { reset?: true; count?: 'reminder' | 'escalation'; until?: number; counts?: true }) => {
  if (m.reset) {
    counted = new RegExp(`^X-Lantian-Key: \\S*#${m.count ?? 'reminder'}:`, 'im');
    reminders = 0;
    other = 0;
    duplicates = 0;
    keys.clear();
    stamps.length = 0;
    target = Infinity;
    t0 = performance.now();
    cpu0 = process.cpuUsage();
    send({ reset: true });
  } else if (m.until !== undefined) {
    target = m.until;
    check();
  } else if (m.counts) {
    const c = process.cpuUsage(cpu0);
    send({ reminders, other, duplicates, cpuS: (c.user + c.system) / 1e6 });
  }
});
process.on('disconnect', () => server.close(() => process.exit(0)));

server.listen(0, '127.0.0.1', () => send({ port: (server.server.address() as { port: number }).port }));
