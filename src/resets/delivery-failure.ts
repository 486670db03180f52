import { findAccount } from "../accounts/index.js";
import { findLoginById } from "../identity/index.js";
import type { FailedForGood } from "../platform/mail/delivery.js";
import { enqueue } from "../platform/mail/outbox-store.js";
import { findTicketForUpdate } from "../tickets/index.js";
import { deliveryFailedMail } from "./reset-mails.js";
import { findDeliveredRequestByMail } from "./reset-store.js";
import type { ResetDeps } from "./request-service.js";
import { recordStep } from "./request-moves.js";
import { assigneeAndAdminsOf } from "./staff-notices.js";

/**
 * The desk's answer when a temporary password's mail failed for good (refused by the server, or
 * dead after every retry): the holder's old password is already gone, so people must act. In
 * one transaction: an internal event on the ticket naming the options, the audit, and a plain
 * notice (no secret) through the outbox to the assignee and every active admin.
 * Any other mail is none of its business (false). The panel and the queue read "delivery
 * failed" from the outbox row itself, so a successful retry clears them without a step here.
 */
export async function noticeFailedTemporaryPassword(deps: ResetDeps, failure: FailedForGood): Promise<boolean> {
  // Most failed mail is not a temporary password: look before taking the writer.
  const found = await findDeliveredRequestByMail(deps.db, failure.outboxId);
  if (!found) return false;
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    // Locked like every reset step, then read again: a withdrawal may have won meanwhile.
    const ticket = (await findTicketForUpdate(trx, found.ticketId))!;
    const request = await findDeliveredRequestByMail(trx, failure.outboxId);
    if (!request) return false;
    const account = (await findAccount(trx, request.accountId))!;
    const primary = (await findLoginById(trx, request.targetUserId))!;
    const told = await assigneeAndAdminsOf(trx, ticket);

    const what = failure.dead
      ? `The temporary password's mail #${failure.outboxId} to ${failure.recipient} was not delivered after ${failure.attempts} attempts; the last answer was: ${failure.error}`
      : `The mail server refused the temporary password's mail #${failure.outboxId} to ${failure.recipient} for good: ${failure.error}`;
    await recordStep(trx, request.ticketId, {
      kind: "system",
      by: null,
      action: "reset.delivery_failed",
      publicText: null,
      internalText: `${what}\nDelivery failed: ${primary.username}'s old password no longer works. Fix the cause and retry mail #${failure.outboxId} from the mail log (an admin), or withdraw the temporary password. Told: ${told.map((l) => l.username).join(", ") || "nobody (no assignee or admin with an address)"}.`,
      details: { ...failure, told: told.map((l) => l.username) },
    }, now);

    const ctx = { ticketId: request.ticketId, accountName: account.name, primaryUsername: primary.username };
    for (const login of told) await enqueue(trx, await deliveryFailedMail(deps.mailer, deps.clock, ctx, { email: login.email!, displayName: login.displayName }, failure), now);
    return true;
  });
}
