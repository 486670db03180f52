import type { Knex } from "knex";
import { clearPassword } from "../identity/index.js";
import type { Clock } from "../shared/clock.js";
import type { Db } from "../shared/db.js";
import { cancelUnsent } from "../platform/mail/outbox-store.js";
import { RESET_MOVES } from "./reset-states.js";
import { findDeliveredRequestFor, findExpiredDeliveries, moveRequest, type ResetRequest } from "./reset-store.js";
import { findTicketForUpdate } from "../tickets/index.js";
import { followTicket, recordStep, type ResetStep } from "./ticket-follow.js";

/**
 * Called in the password change's own transaction when a login replaces a temporary
 * password: its delivered request is redeemed and the ticket closed.
 */
export async function redeemTemporaryPassword(trx: Knex.Transaction, userId: number, now: Date): Promise<void> {
  const request = await findDeliveredRequestFor(trx, userId);
  if (!request) return;
  // The ticket is locked first, as every reset step does: a withdrawal at the same moment waits or wins, never deadlocks.
  const ticket = (await findTicketForUpdate(trx, request.ticketId))!;
  if (!(await moveRequest(trx, request.id, "redeem", { redeemed_at: now }, now))) return;
  await followTicket(trx, ticket, RESET_MOVES.redeem.ticket, now);
  await recordStep(trx, request.ticketId, {
    kind: "system",
    actor: { id: null, username: null, ip: null },
    action: "reset.redeemed",
    publicText: "The primary login's holder signed in with the temporary password and chose a new password. This request is complete.",
    details: { userId },
  }, now);
}

/**
 * Ends a delivered request whose temporary password was not used (expired or withdrawn):
 * the password stops working if still unchanged, which ends every session; its mail, if it is
 * still waiting to go out, never will; the ticket closes.
 * False when the request is no longer delivered.
 */
export async function endUnusedDelivery(trx: Knex.Transaction, request: ResetRequest, move: "expire" | "withdraw", fields: Record<string, unknown>, step: ResetStep, now: Date): Promise<boolean> {
  const ticket = (await findTicketForUpdate(trx, request.ticketId))!;
  if (!(await moveRequest(trx, request.id, move, fields, now))) return false;
  const user: unknown = await trx("users").where({ id: request.targetUserId }).first("must_change_password");
  if ((user as { must_change_password: unknown }).must_change_password) await clearPassword(trx, request.targetUserId, now);
  // A mail still waiting (the mail server was down) would carry a password that no longer works.
  if (request.outboxId) await cancelUnsent(trx, request.outboxId, "Not sent: the temporary password in it no longer works.", now);
  await followTicket(trx, ticket, RESET_MOVES[move].ticket, now);
  await recordStep(trx, request.ticketId, step, now);
  return true;
}

/** The scheduled job: delivered requests whose temporary password ran out are `expired`. */
export async function expireTemporaryPasswords(deps: { db: Db; clock: Clock }): Promise<number> {
  const now = deps.clock.now();
  let expired = 0;
  for (const request of await findExpiredDeliveries(deps.db, now)) {
    const step: ResetStep = {
      kind: "system",
      actor: { id: null, username: null, ip: null },
      action: "reset.expired",
      publicText: "The temporary password was not used in time and no longer works. If the primary login is still locked out, open a new request.",
      details: { userId: request.targetUserId },
    };
    if (await deps.db.transaction((trx) => endUnusedDelivery(trx, request, "expire", {}, step, now))) expired += 1;
  }
  return expired;
}
