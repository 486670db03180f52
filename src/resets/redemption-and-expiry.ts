import type { Knex } from "knex";
import { endTemporaryPassword } from "../identity/index.js";
import { cancelUnsent } from "../platform/mail/outbox-store.js";
import { lockRequest, moveRequest, type LockedRequest, type ResetStep } from "./request-moves.js";
import { queueRequesterNotice } from "./reset-mails.js";
import type { ResetDeps } from "./request-service.js";
import { findDeliveredRequestFor, findExpiredDeliveries } from "./reset-store.js";

// How a delivery ends: the holder redeems the temporary password, or it ends unused (it
// expires, or is withdrawn: withdrawal.ts).

/**
 * The hook called in the password change's own transaction when a login replaces a temporary
 * password: its delivered request is redeemed, the ticket closed, the requester told.
 */
export function redeemTemporaryPassword(deps: ResetDeps): (trx: Knex.Transaction, userId: number, now: Date) => Promise<void> {
  return async (trx, userId, now) => {
    const delivered = await findDeliveredRequestFor(trx, userId);
    if (!delivered) return;
    // The ticket is locked first, as every reset step does: a withdrawal at the same moment waits or wins, never deadlocks.
    const locked = (await lockRequest(trx, delivered.ticketId))!;
    const redeemed = await moveRequest(trx, locked, "redeem", {
      fields: { redeemed_at: now },
      step: {
        kind: "system",
        by: null,
        action: "reset.redeemed",
        publicText: "The primary login's holder signed in with the temporary password and chose a new password. This request is complete.",
        details: { userId },
      },
    }, now);
    if (redeemed) await queueRequesterNotice(deps, trx, locked.request, "reset-completed", {}, now);
  };
}

/**
 * Ends a delivered request whose temporary password was not used (expired or withdrawn):
 * the password stops working if still unchanged, which ends every session; its mail, if it is
 * still waiting to go out, never will; the ticket closes.
 * False when the request is no longer delivered.
 */
export async function endUnusedDelivery(trx: Knex.Transaction, locked: LockedRequest, move: "expire" | "withdraw", fields: Record<string, unknown>, step: ResetStep, now: Date): Promise<boolean> {
  const { request } = locked;
  return moveRequest(trx, locked, move, {
    fields,
    step: async () => {
      await endTemporaryPassword(trx, request.targetUserId, now);
      // A mail still waiting (the mail server was down) would carry a password that no longer works.
      if (request.outboxId) await cancelUnsent(trx, request.outboxId, "Not sent: the temporary password in it no longer works.", now);
      return step;
    },
  }, now);
}

/** The scheduled job: delivered requests whose temporary password ran out are `expired`, and their requesters told. */
export async function expireTemporaryPasswords(deps: ResetDeps): Promise<number> {
  const now = deps.clock.now();
  let expired = 0;
  for (const request of await findExpiredDeliveries(deps.db, now)) {
    const step: ResetStep = {
      kind: "system",
      by: null,
      action: "reset.expired",
      publicText: "The temporary password was not used in time and no longer works. If the primary login is still locked out, open a new request.",
      details: { userId: request.targetUserId },
    };
    const ended = await deps.db.transaction(async (trx) => {
      const locked = await lockRequest(trx, request.ticketId);
      if (!locked || !(await endUnusedDelivery(trx, locked, "expire", {}, step, now))) return false;
      await queueRequesterNotice(deps, trx, locked.request, "reset-expired", {}, now);
      return true;
    });
    if (ended) expired += 1;
  }
  return expired;
}
