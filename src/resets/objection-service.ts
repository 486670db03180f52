import type { Knex } from "knex";
import type { Actor } from "../shared/actor.js";
import { describeChange, type OnChangeObjected } from "../accounts/index.js";
import { isConfirmedStaff, UNCONFIRMED_STAFF } from "../identity/index.js";
import type { Db } from "../shared/db.js";
import { lockRequest, recordStep, withLockedRequest } from "./request-moves.js";
import { findObjectionToken, findOpenRequestOfAccount, findRequestById, spendObjectionToken, updateRequestFields, type ObjectionToken } from "./reset-store.js";
import { handOff, refreshApprovers, type HandOffDeps } from "./handoff.js";
import { assigneeAndAdminsOf, queueStaffNotice } from "./staff-notices.js";
import { done, refusedAt, type Result } from "../shared/problems.js";
import { gatherFacts } from "./verification.js";
import { objectionStanding, OPEN_RESET_STATES } from "./vocabulary.js";
import { withdrawTemporaryPassword } from "./withdrawal.js";

/** A link that can still object: unused, and its request still open. */
export async function liveObjection(db: Db, token: string): Promise<(ObjectionToken & { ticketId: number; delivered: boolean }) | null> {
  const found = await findObjectionToken(db, token);
  if (!found || found.usedAt) return null;
  const request = await findRequestById(db, found.requestId);
  if (!request || !OPEN_RESET_STATES.includes(request.state)) return null;
  return { ...found, ticketId: request.ticketId, delivered: request.state === "delivered" };
}

const SPENT_LINK = "This objection link was used already, or the request it belongs to is closed.";

/**
 * "I did not ask for this": flags the request, which blocks approval until an admin has
 * reviewed it. Once the temporary password is out, the desk fails closed: it is withdrawn at
 * once. The link is spent. Refused (field `token`) when the link is no longer valid.
 */
export async function raiseObjection(deps: HandOffDeps, token: string, ip: string | null): Promise<Result<{ withdrawn: boolean }>> {
  const objection = await liveObjection(deps.db, token);
  if (!objection) return refusedAt("token", SPENT_LINK);
  const now = deps.clock.now();
  return deps.db.transaction(async (trx): Promise<Result<{ withdrawn: boolean }>> => {
    const locked = await lockRequest(trx, objection.ticketId);
    if (!locked || !OPEN_RESET_STATES.includes(locked.request.state) || !(await spendObjectionToken(trx, objection.id, now))) return refusedAt("token", SPENT_LINK);
    const by = { linkFrom: ip };
    const delivered = locked.request.state === "delivered";
    await updateRequestFields(trx, locked.request.id, { objected_at: now, objected_by: objection.recipient, objection_cleared_at: null, objection_cleared_by: null }, now);
    await recordStep(trx, objection.ticketId, {
      kind: "objection",
      by,
      action: "reset.objected",
      publicText: `Someone on the account's records objected to this request.${delivered ? "" : " Support will not approve it before reviewing the objection."}`,
      internalText: delivered
        ? `Objection raised with the link mailed to ${objection.recipient} after the temporary password was sent: it is withdrawn at once.`
        : `Objection raised with the link mailed to ${objection.recipient}. Approval is blocked until an admin reviews and clears it, or the request is rejected.`,
      details: { recipient: objection.recipient },
    }, now);
    if (delivered) await withdrawTemporaryPassword(deps, trx, locked, { by, reason: "someone on the account's records objected", internalText: null }, now);
    else await refreshApprovers(trx, locked.request, deps, now);
    const what = delivered
      ? "The temporary password was already sent: it was withdrawn at once and no longer works. Review the ticket; the requester and the primary's address were told."
      : "Approval is blocked until an admin reviews the objection on the ticket and clears it with a note, or the request is rejected.";
    await queueStaffNotice(deps, trx, locked.request, await assigneeAndAdminsOf(trx, locked.ticket), { template: "reset-objection-notice", subject: `[#${objection.ticketId}] Objection to a primary reset`, extra: { what } }, now);
    return done({ withdrawn: delivered });
  });
}

/**
 * An admin clears an objection after reviewing it, with a note: a confirmed admin who has not
 * prepared this request (recorded a callback on it, or made one of the recent record changes),
 * so that the person who answers an objection is never one whose work it may be about.
 */
export async function clearObjection(deps: HandOffDeps, ticketId: number, agent: Actor, note: string): Promise<Result> {
  const now = deps.clock.now();
  return withLockedRequest(deps, ticketId, async (trx, { request }): Promise<Result> => {
    if (agent.role !== "admin") return refusedAt("note", "Only an admin can clear an objection.");
    if (objectionStanding(request) !== "open") return refusedAt("note", "There is no open objection on this request.");
    if (request.state !== "pending") return refusedAt("note", `The request is ${request.state}: there is nothing to clear.`);
    if (!(await isConfirmedStaff(trx, agent.id))) return refusedAt("note", UNCONFIRMED_STAFF);
    const facts = await gatherFacts(trx, request, now);
    if (facts.callbacks.some((c) => c.agentId === agent.id)) return refusedAt("note", "You recorded a callback on this request: another admin must review the objection.");
    const own = facts.recentChanges.find((c) => c.changedBy === agent.id);
    if (own) return refusedAt("note", `You changed ${describeChange(own)} within the last 7 days: another admin must review the objection.`);
    await updateRequestFields(trx, request.id, { objection_cleared_by: agent.id, objection_cleared_at: now }, now);
    await recordStep(trx, ticketId, { kind: "objection", by: agent, action: "reset.objection_cleared", publicText: null, internalText: `Objection reviewed and cleared by ${agent.username}: ${note}`, details: { note } }, now);
    await handOff(deps, trx, request, now);
    return done();
  });
}

/**
 * An objection to a change of an account's records, once the temporary password is out: the
 * desk fails closed as for an objection to the request itself, and withdraws it at once. While
 * the request is pending, it blocks approval: the stored approvers are refreshed.
 */
export function withdrawOnChangeObjection(deps: HandOffDeps): OnChangeObjected {
  return async (trx: Knex.Transaction, change, ip, now) => {
    if (change.accountId === null) return;
    const open = await findOpenRequestOfAccount(trx, change.accountId);
    if (!open) return;
    const locked = await lockRequest(trx, open.ticketId);
    if (!locked) return;
    // Pending: the objection blocks approval, so nobody awaits it any more.
    if (locked.request.state === "pending") await refreshApprovers(trx, locked.request, deps, now);
    if (locked.request.state !== "delivered") return;
    const reason = "someone on the account's records objected to a change of its records";
    const internalText = `Record change #${change.id} was objected to after the temporary password was sent: it is withdrawn at once.`;
    await withdrawTemporaryPassword(deps, trx, locked, { by: { linkFrom: ip }, reason, internalText }, now);
  };
}
