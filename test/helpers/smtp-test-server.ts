/**
 * A real local SMTP server (`smtp-server`, from nodemailer's authors) for the e-mail module's
 * tests: it requires a login, keeps every message it took (envelope and raw text), and can be
 * scripted to refuse the next recipients, or to take a message and then drop the connection before
 * answering (the server has the mail, the client does not know: the case a re-send must be
 * recognisable in). Its mailbox view keeps one message per Message-ID, as mail stores do.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  recipients: string[];
  raw: string;
  messageId: string | undefined;
}

export type SmtpFault =
  /** Refuse every recipient of the next message with this code (550: no such user). */
  | { kind: 'reject-recipients'; code: number }
  /** Take the next message, then close the connection without answering its DATA. */
  | { kind: 'drop-after-data' };

export class SmtpTestServer {
  readonly received: ReceivedMail[] = [];
  private readonly faults: SmtpFault[] = [];
  private server?: SMTPServer;
  port = 0;

  constructor(
    readonly user = 'imex-user',
    readonly pass = 'Sm7p-pa55-w0rd-marker',
  ) {}

  async start(port = 0): Promise<this> {
    const server = new SMTPServer({
      logger: false,
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authMethods: ['PLAIN', 'LOGIN'],
      onAuth: (auth, _session, callback) => {
        if (auth.username === this.user && auth.password === this.pass) callback(null, { user: auth.username });
        else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onRcptTo: (_address, _session, callback) => {
        const fault = this.faults[0];
        if (fault?.kind === 'reject-recipients') {
          callback(Object.assign(new Error('No such user here'), { responseCode: fault.code }));
        } else callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const mailFrom = session.envelope.mailFrom;
          this.received.push({
            from: mailFrom ? mailFrom.address : '',
            recipients: session.envelope.rcptTo.map((r) => r.address),
            raw,
            messageId: /^message-id:\s*(\S+)/im.exec(raw)?.[1],
          });
          const fault = this.faults[0];
          if (fault?.kind === 'reject-recipients') this.faults.shift();
          if (fault?.kind === 'drop-after-data') {
            this.faults.shift();
            // The message is taken; the answer never comes.
            for (const connection of this.connections()) connection.destroy();
            return;
          }
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    server.on('error', () => undefined);
    this.server = server;
    this.port = (server as unknown as { server: { address(): AddressInfo } }).server.address().port;
    return this;
  }

  /** Faults for the next messages, in order. */
  fault(...faults: SmtpFault[]): void {
    this.faults.push(...faults);
  }

  /** The mailbox: one message per Message-ID, as a mail store keeps them. */
  mailbox(): ReceivedMail[] {
    const seen = new Set<string>();
    return this.received.filter((mail) => {
      const key = mail.messageId ?? mail.raw;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  /** The connection URL a deployment would configure (user and password URL-encoded). */
  url(options: { pass?: string; from?: string } = {}): string {
    const pass = encodeURIComponent(options.pass ?? this.pass);
    const from = options.from ? `?from=${encodeURIComponent(options.from)}` : '';
    return `smtp://${encodeURIComponent(this.user)}:${pass}@127.0.0.1:${this.port}${from}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const connection of this.connections()) connection.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private connections(): { destroy(): void }[] {
    const connections = (this.server as unknown as { connections?: Set<{ _socket?: { destroy(): void } }> })
      ?.connections;
    return [...(connections ?? [])].flatMap((c) => (c._socket ? [c._socket] : []));
  }
}
