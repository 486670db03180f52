import type { Clock } from "../shared/clock.js";
import { hours, minutes, seconds } from "../shared/clock.js";
import { anchorAuditHead } from "../platform/audit/audit-anchor.js";
import type { Db } from "../shared/db.js";
import { deliverDue, type DeliveryDeps } from "../platform/mail/delivery.js";
import type { Mailer } from "../platform/mail/mailer.js";
import { expireTemporaryPasswords, noticeExpiringTemporaryPasswords, noticeFailedTemporaryPassword, refreshPendingApprovers } from "../resets/index.js";
import { auditEndedRefusals } from "../web/ip-limits.js";
import type { TaskDefinition } from "../platform/tasks/scheduler.js";
import { imapFetchTask, inboundTask, type ImapSource } from "./inbound.js";

/**
 * How long one deliver-mail run may go on: the scheduler runs a process's due tasks one after
 * another, so a long drain of the outbox then yields to them; the next run goes on with the rest.
 */
export const DELIVERY_RUN_BUDGET_MS = seconds(30);

/**
 * Every scheduled task of the desk; later features add theirs here. `mailer` writes the mail
 * the desk sends about delivery itself (a temporary password that could not be delivered).
 */
export function deskTasks(
  deps: DeliveryDeps & { db: Db; clock: Clock; auditAnchorFile: string; approvalPolicy: { twoPerson: boolean; keylessDelivery: boolean }; inboundDomain?: string | null; imap?: ImapSource | null; attachmentMaxBytes: number; sendingEnabled?: () => Promise<boolean> },
  mailer: Mailer,
): TaskDefinition[] {
  // Mail knows nothing of resets: here a mail given up on is told to the reset it belongs to, if any.
  const delivery: DeliveryDeps = { ...deps, onFailedForGood: (failure) => noticeFailedTemporaryPassword({ db: deps.db, clock: deps.clock, mailer }, failure) };
  return [
    {
      name: "deliver-mail",
      description: "Sends the mail that is due from the outbox, with retries and back-off. Runs in every worker at once: each claims batches of mail of its own.",
      everyMs: seconds(5),
      everyWorker: true,
      async run(shouldStop) {
        // Turned off in the mail settings: the outbox keeps its mail, no attempt is spent.
        if (deps.sendingEnabled && !(await deps.sendingEnabled())) return "sending is turned off in the mail settings: mail waits in the outbox";
        const until = deps.clock.now().getTime() + DELIVERY_RUN_BUDGET_MS;
        const r = await deliverDue(delivery, () => shouldStop() || deps.clock.now().getTime() >= until);
        return `${r.sent} sent, ${r.failed} failed, ${r.dead} dead`;
      },
    },
    {
      name: "expire-temporary-passwords",
      description: "Expires primary-reset temporary passwords not used in time, and closes their tickets.",
      everyMs: minutes(5),
      async run() {
        return `${await expireTemporaryPasswords({ db: deps.db, clock: deps.clock, mailer })} temporary passwords expired`;
      },
    },
    {
      name: "notice-expiring-temporary-passwords",
      description: "Tells the assignee and the admins, once, of a primary-reset temporary password that expires unused within two hours.",
      everyMs: minutes(5),
      async run() {
        return `${await noticeExpiringTemporaryPasswords({ db: deps.db, clock: deps.clock, mailer })} expiry notices sent`;
      },
    },
    {
      name: "refresh-reset-approvers",
      description: "Takes in what changes who may approve a pending primary reset without a reset step (a change of the records, a staff login, the 7-day window running out): the 'Awaiting my approval' lists and hand-off mails follow within one run.",
      everyMs: minutes(5),
      async run() {
        return `${await refreshPendingApprovers({ db: deps.db, clock: deps.clock, mailer, ...deps.approvalPolicy })} pending requests refreshed`;
      },
    },
    {
      name: "anchor-audit-head",
      description: "Writes the audit chain's newest row and hash, signed by the desk key, to a file outside the database and to the log, so audit-verify catches deleted newest rows.",
      everyMs: minutes(1),
      run: () => anchorAuditHead({ ...deps, file: deps.auditAnchorFile }),
    },
    {
      name: "audit-rate-limit-refusals",
      description: "Writes one audit entry per address for each ended window in which a per-address limit refused attempts, with the count.",
      everyMs: minutes(1),
      async run() {
        return `${await auditEndedRefusals(deps)} windows audited`;
      },
    },
    {
      name: "purge-expired-sessions",
      description: "Deletes ended sessions and spent rate-limit counters.",
      everyMs: hours(1),
      async run() {
        const now = deps.clock.now();
        const sessions = await deps.db("sessions").where("expired", "<", now.toISOString()).delete();
        const counters = await deps.db("rate_limits").where("reset_at_ms", "<", now.getTime()).delete();
        return `${sessions} sessions and ${counters} rate-limit counters removed`;
      },
    },
    inboundTask(deps, mailer),
    ...(deps.imap ? [imapFetchTask(deps, deps.imap)] : []),
  ];
}
