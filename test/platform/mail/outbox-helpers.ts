import { testMessageMail } from "../../../src/platform/mail/mailer.js";
import { enqueue } from "../../../src/platform/mail/outbox-store.js";
import type { ComposedMail } from "../../../src/platform/mail/compose.js";
import type { TestApp } from "../../support/test-app.js";

/** Composes the admin's test message to `to` and puts it in the outbox in its own transaction. */
export async function queueTestMessage(t: TestApp, to: string): Promise<{ id: number; mail: ComposedMail }> {
  const mail = await testMessageMail(t.mailer, t.clock, to, "admin");
  const id = await t.db.transaction((trx) => enqueue(trx, mail, t.clock.now()));
  return { id, mail };
}
