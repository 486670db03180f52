import type { Knex } from "knex";
import type { Actor } from "../shared/actor.js";
import { endUnusedDelivery } from "./redemption-and-expiry.js";
import { queueEndNotices } from "./reset-mails.js";
import { withLockedRequest, type LockedRequest, type StepBy } from "./request-moves.js";
import type { ResetDeps } from "./request-service.js";
import { done, refusedAt, type Result } from "../shared/problems.js";

export interface Withdrawal {
  /** The agent who withdrew it, or the holder of an objection link (an objection from the records). */
  by: StepBy;
  reason: string;
  /** What the internal timeline entry adds, if anything. */
  internalText: string | null;
}

/**
 * Withdraws a delivered temporary password before it is used: it stops working at once,
 * every session of the primary login ends, the ticket closes, and the requester and the
 * primary's address are told why. False when the request is not (or no longer) delivered.
 */
export async function withdrawTemporaryPassword(deps: ResetDeps, trx: Knex.Transaction, locked: LockedRequest, withdrawal: Withdrawal, now: Date): Promise<boolean> {
  const { request } = locked;
  const withdrawnBy = withdrawal.by && "id" in withdrawal.by ? withdrawal.by.id : null;
  const fields = { withdrawn_by: withdrawnBy, withdrawn_at: now, withdrawal_reason: withdrawal.reason };
  const ended = await endUnusedDelivery(trx, locked, "withdraw", fields, {
    kind: "system",
    by: withdrawal.by,
    action: "reset.withdrawn",
    publicText: `The temporary password was withdrawn before it was used and no longer works (reason: ${withdrawal.reason}). If the primary login is still locked out, an authorised contact can open a new request.`,
    internalText: withdrawal.internalText,
    details: { userId: request.targetUserId, reason: withdrawal.reason },
  }, now);
  if (ended) await queueEndNotices(deps, trx, request, "reset-withdrawn", withdrawal.reason, now);
  return ended;
}

/** Any agent may withdraw a delivered temporary password before it is used, with a reason. */
export async function withdrawApproval(deps: ResetDeps, ticketId: number, agent: Actor, reason: string): Promise<Result> {
  const now = deps.clock.now();
  return withLockedRequest(deps, ticketId, async (trx, locked): Promise<Result> => {
    const withdrawal = { by: agent, reason, internalText: `Temporary password withdrawn by ${agent.username}: ${reason}` };
    if (!(await withdrawTemporaryPassword(deps, trx, locked, withdrawal, now))) return refusedAt("reason", `The request is ${locked.request.state}: there is no unused temporary password to withdraw.`);
    return done();
  });
}
