import type { Knex } from "knex";
import { findAccount } from "../accounts/index.js";
import { findLoginById } from "../identity/index.js";
import { enqueue } from "../platform/mail/outbox-store.js";
import { endUnusedDelivery } from "./redemption.js";
import { resetNoticeMail } from "./reset-mails.js";
import type { ResetRequest } from "./reset-store.js";
import type { ResetDeps } from "./request-service.js";
import type { ResetStep } from "./ticket-follow.js";

export interface Withdrawal {
  /** The agent who withdrew it; a null id when an objection from the records did. */
  by: ResetStep["actor"];
  reason: string;
  /** What the internal timeline entry adds, if anything. */
  internalText: string | null;
}

/**
 * Withdraws a delivered temporary password before it is used: it stops working at once,
 * every session of the primary login ends, the ticket closes, and the requester and the
 * primary's address are told why. False when the request is not (or no longer) delivered.
 */
export async function withdrawTemporaryPassword(deps: ResetDeps, trx: Knex.Transaction, request: ResetRequest, withdrawal: Withdrawal, now: Date): Promise<boolean> {
  const step: ResetStep = {
    kind: "system",
    actor: withdrawal.by,
    action: "reset.withdrawn",
    publicText: `The temporary password was withdrawn before it was used and no longer works (reason: ${withdrawal.reason}). If the primary login is still locked out, an authorised contact can open a new request.`,
    internalText: withdrawal.internalText,
    details: { userId: request.targetUserId, reason: withdrawal.reason },
  };
  const fields = { withdrawn_by: withdrawal.by.id, withdrawn_at: now, withdrawal_reason: withdrawal.reason };
  if (!(await endUnusedDelivery(trx, request, "withdraw", fields, step, now))) return false;

  const account = await findAccount(trx, request.accountId);
  const requester = await findLoginById(trx, request.requesterId);
  const primary = await findLoginById(trx, request.targetUserId);
  const ctx = { ticketId: request.ticketId, accountName: account!.name, primaryUsername: primary!.username };
  for (const to of [requester!, primary!]) {
    if (to.email) await enqueue(trx, await resetNoticeMail(deps.mailer, deps.clock, ctx, { email: to.email, displayName: to.displayName }, "reset-withdrawn", withdrawal.reason), now);
  }
  return true;
}
