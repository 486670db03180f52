import type { Knex } from "knex";
import { listStaff, staffWantingNotice, storeNotice, type Login } from "../identity/index.js";
import type { Db } from "../shared/db.js";
import type { MailingDeps } from "../platform/mail/mailer.js";
import { deliveryPlanOf } from "./delivery-plan.js";
import { pendingRequestTickets, replaceApprovers } from "./approvers-store.js";
import { lockRequest } from "./request-moves.js";
import { findRequestById, type ResetRequest } from "./reset-store.js";
import { queueStaffNotice } from "./staff-notices.js";
import { approvalConditions, approverOf, blocksApproval, gatherFacts, type ApprovalPolicy } from "./verification.js";

// The hand-off (issue 15 item 3): who may approve a pending request is derived from the one
// checklist, stored in `reset_approvers` in the same transaction as the write that changed it,
// and whoever it newly names is told by mail.

/** The checklist's conditions that say only an admin may approve this request. */
const ADMIN_CONDITIONS = ["admin_for_recent_change", "admin_for_lost_factor"];

export interface ApproversChange {
  /** Who may approve it now and could not before. */
  added: Login[];
  /** The checklist asks for an admin (a recent change to the records, a lost second factor). */
  adminNeeded: boolean;
}

/**
 * Recomputes who may approve the request now: its facts gathered once, the checklist evaluated
 * for each active agent and admin, those whom nothing blocks (the second-factor condition is
 * advisory) stored. A request that is not pending has nobody. In the caller's transaction.
 */
export async function refreshApprovers(trx: Knex.Transaction, request: Pick<ResetRequest, "id">, policy: ApprovalPolicy, now: Date): Promise<ApproversChange> {
  // Read again: the caller's write (a callback, an objection) is what changes the answer.
  const fresh = (await findRequestById(trx, request.id))!;
  if (fresh.state !== "pending") {
    await replaceApprovers(trx, fresh, [], now);
    return { added: [], adminNeeded: false };
  }
  const facts = await gatherFacts(trx, fresh, now);
  const delivery = deliveryPlanOf(facts, policy.keylessDelivery);
  const may: Login[] = [];
  let adminNeeded = false;
  for (const login of (await listStaff(trx)).filter((s) => !s.disabledAt)) {
    const conditions = approvalConditions(facts, delivery, await approverOf(trx, login), policy);
    if (!conditions.some(blocksApproval)) may.push(login);
    adminNeeded ||= conditions.some((c) => ADMIN_CONDITIONS.includes(c.key));
  }
  const added = await replaceApprovers(trx, fresh, may.map((l) => l.id), now);
  return { added: may.filter((l) => added.includes(l.id)), adminNeeded };
}

export type HandOffDeps = MailingDeps & ApprovalPolicy;

/**
 * {@link refreshApprovers}, then one plain mail to each person it added who wants it (My
 * profile → Notifications): agents, and admins only when the checklist asks for an admin (an
 * admin may approve any request, and sees it in the view, but is not mailed for every one).
 */
export async function handOff(deps: HandOffDeps, trx: Knex.Transaction, request: ResetRequest, now: Date): Promise<void> {
  const { added, adminNeeded } = await refreshApprovers(trx, request, deps, now);
  if (added.length === 0) return;
  const wanting = new Set((await staffWantingNotice(trx, "awaiting_approval")).map((s) => s.id));
  const told = added.filter((l) => wanting.has(l.id) && (l.role !== "admin" || adminNeeded));
  const why = adminNeeded
    ? "Every condition of the checklist is met but the approver, and this request needs an admin: the records changed recently, or the holder's second factor is lost too."
    : "Every condition of the checklist is met but the approver: a confirmed callback verified it, and you did not take part in it.";
  await queueStaffNotice(deps, trx, request, told, { template: "reset-handoff", subject: `[#${request.ticketId}] A primary reset awaits your approval`, extra: { why } }, now);
}

/** An agent or admin turns the hand-off mail on or off (My profile → Notifications); the view lists their requests either way. */
export const setApprovalNotice = (db: Db, userId: number, on: boolean, now: Date): Promise<void> => storeNotice(db, userId, "awaiting_approval", on, now);

/**
 * The scheduled catch-up: what changes who may approve without a resets write — a change of
 * the records (accounts/, below resets), a staff login confirmed, disabled or given a factor, the
 * recent-change window running out — is taken in within one run, each pending request
 * refreshed (and whoever it newly names told) under its lock. Returns how many were looked at.
 */
export async function refreshPendingApprovers(deps: HandOffDeps & { db: Db }): Promise<number> {
  const tickets = await pendingRequestTickets(deps.db);
  for (const ticketId of tickets) {
    await deps.db.transaction(async (trx) => {
      const locked = await lockRequest(trx, ticketId);
      if (locked) await handOff(deps, trx, locked.request, deps.clock.now());
    });
  }
  return tickets.length;
}
