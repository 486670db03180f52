/** The outbox and its delivery attempts read back out of a test app's database. */
import { expect } from "chai";
import { simpleParser } from "mailparser";
import type { OutboxMail } from "../../src/platform/mail/outbox-store.js";
import { unsealWithDesk } from "../../src/platform/mail/pgp.js";
import type { Db } from "../../src/shared/db.js";
import type { Row } from "./rows.js";
import type { TestApp } from "./test-app.js";

/**
 * A queued mail, its `message` as the worker hands it to the transport (a sealed one opened with
 * the desk key); for mail carrying a secret that has been sent, only its headers (the desk keeps no more).
 */
export type QueuedMail = Pick<OutboxMail, "id" | "recipient" | "subject" | "template" | "message" | "encrypted" | "sealed">;

/** The queued mails to one address (or all), oldest first. */
export async function outboxTo(t: TestApp, recipient?: string): Promise<QueuedMail[]> {
  const query = t.db("outbox").orderBy("id");
  if (recipient) query.where({ recipient });
  const rows = (await query) as Row[];
  return Promise.all(
    rows.map(async (r) => ({
      id: Number(r.id),
      recipient: r.recipient as string,
      subject: r.subject as string,
      template: r.template as string,
      message: r.sealed && !r.sent_sha256 ? await unsealWithDesk(r.message as string, t.mailer.deskKey) : (r.message as string),
      encrypted: Boolean(r.encrypted),
      sealed: Boolean(r.sealed),
    })),
  );
}

/** The newest mail made from `template` queued to the address; fails when there is none. */
export async function latestMailTo(t: TestApp, recipient: string, template: string): Promise<QueuedMail> {
  const mails = (await outboxTo(t, recipient)).filter((m) => m.template === template);
  expect(mails, `a ${template} mail to ${recipient}`).to.not.have.length(0);
  return mails[mails.length - 1]!;
}

/** The decoded plain text of a raw RFC 5322 message. */
export async function mailText(raw: string): Promise<string> {
  return (await simpleParser(raw)).text ?? "";
}

/** An outbox row as the database returns it (timestamps are Dates on PostgreSQL, numbers on SQLite). */
export interface OutboxRow {
  id: number;
  recipient: string;
  subject: string;
  message: string;
  message_id: string;
  status: string;
  attempts: number | string;
  next_attempt_at: unknown;
  locked_until: unknown;
  locked_by: string | null;
  last_error: string | null;
  sent_at: unknown;
}

export interface AttemptRow {
  outbox_id: number;
  attempt: number | string;
  worker: string;
  outcome: string;
  detail: string | null;
}

export const outboxRow = async (db: Db, id: number) => (await db("outbox").where({ id }).first()) as OutboxRow;

export const attemptRows = async (db: Db, outboxId: number) =>
  (await db("outbox_attempts").where({ outbox_id: outboxId }).orderBy("id")) as AttemptRow[];
