import { auditedBy, type Actor } from "../../shared/actor.js";
import type { AppendAudit } from "../../shared/audit-entry.js";
import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import { describeSendError } from "./delivery.js";
import { testMessageMail, type Mailer } from "./mailer.js";
import { enqueue, findMail, listAttempts, requeue, type OutboxMail } from "./outbox-store.js";

/** What an admin does to the mail from the console: retry a mail, check the server, send a test message. */
export interface MailAdminDeps {
  db: Db;
  clock: Clock;
  mailer: Mailer;
  /** platform/audit's appender: mail does not know audit, the composition root hands it in. */
  audit: AppendAudit;
  /** Runs the deliver-mail task at once, in this process (platform/tasks, wired by the composition root). */
  deliverNow: () => Promise<unknown>;
}

/** Queues a failed or dead mail again, audited with what it was; false (nothing written) for a mail in any other state. */
export async function retryMail(deps: Pick<MailAdminDeps, "db" | "clock" | "audit">, mail: OutboxMail, actor: Actor): Promise<boolean> {
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    const requeued = await requeue(trx, mail.id, now);
    const details = { recipient: mail.recipient, previousStatus: mail.status, attempts: mail.attempts };
    if (requeued) await deps.audit(trx, { ...auditedBy(actor), action: "mail.retried", subject: `outbox:${mail.id}`, details }, now);
    return requeued;
  });
}

/** A mail server's answer in words, and whether it was a yes. */
export interface ServerAnswer {
  ok: boolean;
  text: string;
}

/** Asks the mail server whether it would take the desk's mail (Verify); the answer is audited. */
export async function verifyMailServer(deps: Pick<MailAdminDeps, "db" | "clock" | "mailer" | "audit">, actor: Actor): Promise<ServerAnswer> {
  let answer: ServerAnswer;
  try {
    answer = { ok: true, text: await deps.mailer.transport.verify() };
  } catch (err) {
    answer = { ok: false, text: describeSendError(err) };
  }
  await deps.audit(deps.db, { ...auditedBy(actor), action: "mail.settings_verified", details: { ok: answer.ok, answer: answer.text } }, deps.clock.now());
  return answer;
}

/** How the test message fared: its outbox row, status, and the server's last answer. */
export interface TestMessageOutcome extends ServerAnswer {
  outboxId: number;
  status: string;
}

/**
 * Sends a test message through the outbox like any mail (queued and audited together), then
 * runs delivery at once, in this request, so the admin sees the server's answer to it.
 */
export async function sendTestMessage(deps: MailAdminDeps, to: string, actor: Actor): Promise<TestMessageOutcome> {
  const composed = await testMessageMail(deps.mailer, deps.clock, to, actor.username);
  const now = deps.clock.now();
  const outboxId = await deps.db.transaction(async (trx) => {
    const id = await enqueue(trx, composed, now);
    await deps.audit(trx, { ...auditedBy(actor), action: "mail.test_sent", subject: `outbox:${id}`, details: { recipient: to } }, now);
    return id;
  });
  await deps.deliverNow();
  const mail = (await findMail(deps.db, outboxId))!;
  const last = (await listAttempts(deps.db, outboxId)).at(-1);
  return { ok: mail.status === "sent", outboxId, status: mail.status, text: last?.detail ?? "Queued: the mail worker will send it shortly." };
}
