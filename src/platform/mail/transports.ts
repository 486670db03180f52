import { randomBytes } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import nodemailer from "nodemailer";

/** Where mail goes once it leaves the outbox. */
export interface MailTransport {
  readonly name: "file" | "smtp";
  /**
   * Sends one raw RFC 5322 message; resolves with the server's answer, rejects with its error.
   * `signal` gives up on it: the connection carrying it is closed.
   */
  send(message: { id: number; from: string; to: string; raw: string }, signal?: AbortSignal): Promise<string>;
  /** Checks the connection (SMTP: connect, STARTTLS, authenticate) and reports the server's answer. */
  verify(): Promise<string>;
  close(): void;
}

/** Writes each message to `<dir>/<id>.eml`, atomically (a temporary file, then rename). */
export function fileTransport(dir: string): MailTransport {
  return {
    name: "file",
    async send({ id, raw }) {
      await mkdir(dir, { recursive: true });
      const final = path.join(dir, `${id}.eml`);
      const temporary = path.join(dir, `.${id}.${randomBytes(4).toString("hex")}.tmp`);
      await writeFile(temporary, raw, { mode: 0o600 });
      await rename(temporary, final);
      return `written to ${final}`;
    },
    async verify() {
      await mkdir(dir, { recursive: true });
      return `mail is written to ${dir}`;
    },
    close() {},
  };
}

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  /** Never upgrade to TLS with STARTTLS, even when the server offers it. */
  ignoreTLS?: boolean | undefined;
  user?: string | undefined;
  pass?: string | undefined;
}

/** nodemailer over SMTP, pooled; implicit TLS when `secure`, STARTTLS when the server offers it. */
export function smtpTransport(settings: SmtpSettings): MailTransport {
  const transporter = nodemailer.createTransport({
    pool: true,
    maxConnections: 4,
    // The pool would otherwise try a message again by itself after a dropped connection, out of
    // the outbox's sight (no attempt row, no back-off, inside one lease); every retry is the worker's.
    maxRequeues: 0,
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    ignoreTLS: settings.ignoreTLS ?? false,
    auth: settings.user ? { user: settings.user, pass: settings.pass ?? "" } : undefined,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  });
  return {
    name: "smtp",
    async send({ from, to, raw }, signal) {
      const info = await transporter.sendMail({ envelope: { from: addressOf(from), to: [to] }, raw, signal });
      return info.response;
    },
    async verify() {
      await transporter.verify();
      return `connected to ${settings.host}:${settings.port}${settings.user ? ` and signed in as ${settings.user}` : ""}`;
    },
    close: () => transporter.close(),
  };
}

/** The bare address of "Name <address>". */
const addressOf = (from: string) => /<([^>]+)>/.exec(from)?.[1] ?? from;
