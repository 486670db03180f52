import type { Knex } from "knex";
import type { OnChangeObjected } from "../accounts/index.js";
import type { Db } from "../shared/db.js";
import { findTicketForUpdate } from "../tickets/index.js";
import { OPEN_RESET_STATES } from "./reset-states.js";
import { findObjectionToken, findOpenRequestOfAccount, findRequestByTicket, spendObjectionToken, updateRequestFields, type ObjectionToken } from "./reset-store.js";
import type { ResetDeps } from "./request-service.js";
import { recordStep } from "./ticket-follow.js";
import { withdrawTemporaryPassword } from "./withdrawal.js";

/** A link that can still object: unused, and its request still open. */
export async function liveObjection(db: Db, token: string): Promise<(ObjectionToken & { ticketId: number; delivered: boolean }) | null> {
  const found = await findObjectionToken(db, token);
  if (!found || found.usedAt) return null;
  const row: unknown = await db("reset_requests").where({ id: found.requestId }).first("state", "ticket_id");
  const request = row as { state: string; ticket_id: number } | undefined;
  if (!request || !OPEN_RESET_STATES.includes(request.state as never)) return null;
  return { ...found, ticketId: Number(request.ticket_id), delivered: request.state === "delivered" };
}

/**
 * "I did not ask for this": flags the request, which blocks approval until an admin has
 * reviewed it. Once the temporary password is out, the desk fails closed: it is withdrawn at
 * once. The link is spent. Returns null when the link is no longer valid.
 */
export async function raiseObjection(deps: ResetDeps, token: string, ip: string | null): Promise<{ withdrawn: boolean } | null> {
  const objection = await liveObjection(deps.db, token);
  if (!objection) return null;
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    await findTicketForUpdate(trx, objection.ticketId);
    const request = await findRequestByTicket(trx, objection.ticketId);
    if (!request || !OPEN_RESET_STATES.includes(request.state) || !(await spendObjectionToken(trx, objection.id, now))) return null;
    const actor = { id: null, username: null, ip };
    const delivered = request.state === "delivered";
    await updateRequestFields(trx, request.id, { objected_at: now, objected_by: objection.recipient, objection_cleared_at: null, objection_cleared_by: null }, now);
    await recordStep(trx, objection.ticketId, {
      kind: "objection",
      actor,
      action: "reset.objected",
      publicText: `Someone on the account's records objected to this request.${delivered ? "" : " Support will not approve it before reviewing the objection."}`,
      internalText: delivered
        ? `Objection raised with the link mailed to ${objection.recipient} after the temporary password was sent: it is withdrawn at once.`
        : `Objection raised with the link mailed to ${objection.recipient}. Approval is blocked until an admin reviews and clears it, or the request is rejected.`,
      details: { recipient: objection.recipient },
    }, now);
    if (delivered) await withdrawTemporaryPassword(deps, trx, request, { by: actor, reason: "someone on the account's records objected", internalText: null }, now);
    return { withdrawn: delivered };
  });
}

/**
 * An objection to a change of an account's records, once the temporary password is out: the
 * desk fails closed as for an objection to the request itself, and withdraws it at once.
 */
export function withdrawOnChangeObjection(deps: ResetDeps): OnChangeObjected {
  return async (trx: Knex.Transaction, change, ip, now) => {
    if (change.accountId === null) return;
    const open = await findOpenRequestOfAccount(trx, change.accountId);
    if (!open) return;
    await findTicketForUpdate(trx, open.ticketId);
    const request = await findRequestByTicket(trx, open.ticketId);
    if (request?.state !== "delivered") return;
    const reason = "someone on the account's records objected to a change of its records";
    await withdrawTemporaryPassword(deps, trx, request, { by: { id: null, username: null, ip }, reason, internalText: `Record change #${change.id} was objected to after the temporary password was sent: it is withdrawn at once.` }, now);
  };
}
