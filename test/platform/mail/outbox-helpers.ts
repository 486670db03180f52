import type { Db } from "../../../src/shared/db.js";
import { testMessageMail } from "../../../src/platform/mail/mailer.js";
import { enqueue } from "../../../src/platform/mail/outbox-store.js";
import type { ComposedMail } from "../../../src/platform/mail/compose.js";
import type { TestApp } from "../../support/test-app.js";

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

/** Things to undo after each test, undone last-first (close the app before stopping its SMTP server). */
export class Cleanup {
  private steps: (() => unknown)[] = [];
  add(step: () => unknown): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    const steps = this.steps.reverse();
    this.steps = [];
    for (const step of steps) await step();
  }
}

/** Composes the admin's test message to `to` and puts it in the outbox in its own transaction. */
export async function queueTestMessage(t: TestApp, to: string): Promise<{ id: number; mail: ComposedMail }> {
  const mail = await testMessageMail(t.mailer, t.clock, to, "admin");
  const id = await t.db.transaction((trx) => enqueue(trx, mail, t.clock.now()));
  return { id, mail };
}

export const outboxRow = async (db: Db, id: number) => (await db("outbox").where({ id }).first()) as OutboxRow;

export const attemptRows = async (db: Db, outboxId: number) =>
  (await db("outbox_attempts").where({ outbox_id: outboxId }).orderBy("id")) as AttemptRow[];
