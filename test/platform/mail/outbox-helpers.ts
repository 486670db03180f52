import { testMessageMail } from "../../../src/platform/mail/mailer.js";
import { enqueue } from "../../../src/platform/mail/outbox-store.js";
import type { ComposedMail } from "../../../src/platform/mail/compose.js";
import type { Cleanup } from "../../support/cleanup.js";
import { SmtpSink } from "../../support/smtp-sink.js";
import { startTestApp, type TestApp } from "../../support/test-app.js";

/** Composes the admin's test message to `to` and puts it in the outbox in its own transaction. */
export async function queueTestMessage(t: TestApp, to: string): Promise<{ id: number; mail: ComposedMail }> {
  const mail = await testMessageMail(t.mailer, t.clock, to, "admin");
  const id = await t.db.transaction((trx) => enqueue(trx, mail, t.clock.now()));
  return { id, mail };
}

/** An app delivering to a fresh SMTP sink, both torn down by `cleanup` after the test. */
export async function appWithSink(cleanup: Cleanup): Promise<{ t: TestApp; sink: SmtpSink }> {
  const sink = await new SmtpSink().start();
  cleanup.add(() => sink.stop());
  const t = await startTestApp({}, sink);
  cleanup.add(() => t.close());
  return { t, sink };
}
