// A real SMTP server (smtp-server) on a free local port for the notice tests: each message is
// parsed (mailparser) and handed to `onMessage` before the server answers 250, so a test sees
// exactly what was committed. `onRcptTo` may refuse a recipient.
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface TestSmtp {
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface TestSmtpOptions {
  /** Runs before "250"; the raw message head (headers as sent, folded) comes with it. */
  onMessage(mail: ParsedMail, head: string): void;
  /** Throw an Error with responseCode to refuse the recipient. */
  onRcptTo?(address: SMTPServerAddress): void;
}

/** On `port`, or a free one when 0. */
export async function startTestSmtp(o: TestSmtpOptions, port = 0): Promise<TestSmtp> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, cb) {
      try {
        o.onRcptTo?.(address);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then((m) => {
          o.onMessage(m, raw.toString('latin1').split('\r\n\r\n')[0]);
          cb();
        }, cb);
      });
    },
  });
  // A client killed mid-conversation (the fault tests SIGKILL workers) resets its connection; the
  // server reports that as an 'error' event, which unheard would end the test process.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.server.address() as { port: number }).port;
  return {
    port: bound,
    url: `smtp://127.0.0.1:${bound}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
