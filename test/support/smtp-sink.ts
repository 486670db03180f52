import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

export interface SinkOptions {
  /** Require AUTH and refuse every credential with this text (as a 535 reply). */
  refuseAuthWith?: string;
  /** Require AUTH and take only this user and password; any other is refused with 535 "Authentication failed". */
  login?: { user: string; pass: string };
  /**
   * Keep each message (it counts as received) and wait this long before answering 250: a
   * client killed meanwhile never learns that the server accepted the mail.
   */
  answerDelayMs?: number;
}

/** A real SMTP server in the test process that keeps every message it accepts. */
export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  /**
   * Recipients the server refuses at RCPT TO, with the reply it gives (e.g. 550 "5.1.1 No such
   * user" for good, or 451 "4.3.0 Try again later"); delete an entry to accept that address again.
   */
  readonly refusals = new Map<string, { code: number; text: string }>();
  /**
   * Keep this many of the next messages (they count as received) and close the connection
   * instead of answering: the client cannot tell whether the server accepted them.
   */
  dropNextAnswers = 0;
  private server: SMTPServer | undefined;
  port = 0;

  constructor(private readonly options: SinkOptions = {}) {}

  /** Starts listening on 127.0.0.1; pass the previous port to come back on the same one. */
  async start(port = 0): Promise<this> {
    const { refuseAuthWith, login, answerDelayMs = 0 } = this.options;
    const authRequired = Boolean(refuseAuthWith ?? login);
    this.server = new SMTPServer({
      secure: false,
      disabledCommands: authRequired ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
      authOptional: !authRequired,
      allowInsecureAuth: true,
      logger: false,
      onAuth: (auth, _session, callback) => {
        if (login && !refuseAuthWith && auth.username === login.user && auth.password === login.pass) return callback(null, { user: login.user });
        callback(Object.assign(new Error(refuseAuthWith ?? "Authentication failed"), { responseCode: 535 }));
      },
      onRcptTo: (address, _session, callback) => {
        const refusal = this.refusals.get(address.address.toLowerCase());
        callback(refusal ? Object.assign(new Error(refusal.text), { responseCode: refusal.code }) : undefined);
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          this.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString("utf8"),
          });
          if (this.dropNextAnswers > 0) {
            this.dropNextAnswers -= 1;
            this.connectionOf(session.id)?.close();
          } else if (answerDelayMs > 0) setTimeout(() => callback(), answerDelayMs);
          else callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  /** Forgets every message, refusal and dropped answer: as a new sink, for the next test. */
  forget(): void {
    this.received.length = 0;
    this.refusals.clear();
    this.dropNextAnswers = 0;
  }

  /** Stops accepting connections: the next delivery meets a closed port. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private connectionOf(sessionId: string): { close(): void } | undefined {
    return [...(this.server?.connections ?? [])].find((c: { id: string }) => c.id === sessionId) as { close(): void } | undefined;
  }

  /** The Message-ID header of every message received, in order (copies included). */
  messageIds(): string[] {
    return this.received.map((m) => /^Message-ID:\s*(<[^>]+>)/im.exec(m.raw)?.[1] ?? "");
  }

  parsed(index: number): Promise<ParsedMail> {
    return simpleParser(this.received[index]!.raw);
  }
}
