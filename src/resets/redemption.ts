import type { Knex } from "knex";
import { clearPassword } from "../auth/credentials-store.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db.js";
import { RESET_MOVES } from "./reset-states.js";
import { findDeliveredRequestFor, findExpiredDeliveries, moveRequest } from "./reset-store.js";
import { findTicketForUpdate } from "../tickets/tickets-store.js";
import { followTicket, recordStep } from "./ticket-follow.js";

/**
 * Called in the password change's own transaction when a login replaces a temporary
 * password: its delivered request is redeemed and the ticket closed.
 */
export async function redeemTemporaryPassword(trx: Knex.Transaction, userId: number, now: Date): Promise<void> {
  const request = await findDeliveredRequestFor(trx, userId);
  if (!request || !(await moveRequest(trx, request.id, "redeem", { redeemed_at: now }, now))) return;
  await followTicket(trx, (await findTicketForUpdate(trx, request.ticketId))!, RESET_MOVES.redeem.ticket, now);
  await recordStep(trx, request.ticketId, {
    kind: "system",
    actor: { id: null, username: null, ip: null },
    action: "reset.redeemed",
    publicText: "The primary login's holder signed in with the temporary password and chose a new password. This request is complete.",
    details: { userId },
  }, now);
}

/**
 * The scheduled job: delivered requests whose temporary password ran out are `expired`, the
 * temporary password is made unusable (if still unchanged) and the ticket closed.
 */
export async function expireTemporaryPasswords(deps: { db: Db; clock: Clock }): Promise<number> {
  const now = deps.clock.now();
  let expired = 0;
  for (const request of await findExpiredDeliveries(deps.db, now)) {
    await deps.db.transaction(async (trx) => {
      if (!(await moveRequest(trx, request.id, "expire", {}, now))) return;
      const user: unknown = await trx("users").where({ id: request.targetUserId }).first("must_change_password");
      if ((user as { must_change_password: unknown }).must_change_password) await clearPassword(trx, request.targetUserId, now);
      await followTicket(trx, (await findTicketForUpdate(trx, request.ticketId))!, RESET_MOVES.expire.ticket, now);
      await recordStep(trx, request.ticketId, {
        kind: "system",
        actor: { id: null, username: null, ip: null },
        action: "reset.expired",
        publicText: "The temporary password was not used in time and no longer works. If the primary login is still locked out, open a new request.",
        details: { userId: request.targetUserId },
      }, now);
      expired += 1;
    });
  }
  return expired;
}
