import { formatUtc, groupFingerprint } from "../shared/formatting.js";
import type { Knex } from "knex";
import { describeChange, findContact } from "../accounts/index.js";
import { generateRandomPassword, hashPassword, isConfirmedStaff, storePassword, UNCONFIRMED_STAFF } from "../identity/index.js";
import { hours } from "../shared/clock.js";
import { usableRecipientKey } from "../platform/mail/pgp.js";
import { enqueue } from "../platform/mail/outbox-store.js";
import { findTicketForUpdate, type Ticket } from "../tickets/index.js";
import type { Problems } from "../shared/problems.js";
import { resetNoticeMail, temporaryPasswordMail } from "./reset-mails.js";
import { RESET_MOVES } from "./reset-states.js";
import { findRequestByTicket, hasOpenObjection, insertCallback, moveRequest, updateRequestFields, type CallbackOutcome, type ResetRequest } from "./reset-store.js";
import type { ResetDeps } from "./request-service.js";
import { followTicket, recordStep } from "./ticket-follow.js";
import { approvalConditions, gatherFacts, type Condition } from "./verification.js";
import { withdrawTemporaryPassword } from "./withdrawal.js";

export interface DecisionDeps extends ResetDeps {
  twoPerson: boolean;
  tempPasswordTtlHours: number;
}

export interface Agent {
  id: number;
  username: string;
  role: string;
  ip: string | null;
}

const actorOf = (agent: Agent) => ({ id: agent.id, username: agent.username, ip: agent.ip });

/** Runs `work` on the ticket's reset request inside one transaction, the ticket row locked; null for no such request. */
async function withRequest<T>(deps: ResetDeps, ticketId: number, work: (trx: Knex.Transaction, request: ResetRequest, ticket: Ticket) => Promise<T>): Promise<T | null> {
  return deps.db.transaction(async (trx) => {
    const ticket = await findTicketForUpdate(trx, ticketId);
    const request = ticket ? await findRequestByTicket(trx, ticketId) : null;
    return ticket && request ? work(trx, request, ticket) : null;
  });
}

const OUTCOME_WORDS: Record<CallbackOutcome, string> = {
  confirmed: "confirmed the request",
  denied: "denied the request",
  no_answer: "did not answer",
  wrong_number: "was a wrong number",
};

/**
 * Records a callback to a contact on file: the number dialled is copied from the record at
 * this moment, never typed in. Returns the problems, or none.
 */
export async function recordCallback(deps: ResetDeps, ticketId: number, agent: Agent, input: { contactId: number; outcome: CallbackOutcome; notes: string | null }): Promise<Problems | null> {
  const contact = await findContact(deps.db, input.contactId);
  const now = deps.clock.now();
  return withRequest(deps, ticketId, async (trx, request, ticket): Promise<Problems> => {
    if (request.state !== "pending") return { contact_id: `The request is ${request.state}: no more callbacks are recorded.` };
    if (!(await isConfirmedStaff(trx, agent.id))) return { contact_id: UNCONFIRMED_STAFF };
    if (!contact || contact.accountId !== request.accountId) return { contact_id: "Choose a contact of this account from the records." };
    if (!contact.phone) return { contact_id: `${contact.name} has no phone number on file.` };
    await insertCallback(trx, { requestId: request.id, contactId: contact.id, contactName: contact.name, phoneDialled: contact.phone, agentId: agent.id, outcome: input.outcome, notes: input.notes }, now);
    await followTicket(trx, ticket, "open", now);
    await recordStep(trx, ticketId, {
      kind: "callback",
      actor: actorOf(agent),
      action: "reset.callback_recorded",
      publicText: input.outcome === "confirmed" ? "Support called back a contact on file, who confirmed the request." : null,
      internalText: `Callback to ${contact.name} at ${contact.phone}: ${OUTCOME_WORDS[input.outcome]}.${input.notes ? ` Notes: ${input.notes}` : ""}`,
      details: { contactId: contact.id, phoneDialled: contact.phone, outcome: input.outcome },
    }, now);
    return {};
  });
}

/**
 * Approves and delivers in one transaction (DESIGN §3 step 4): a CSPRNG temporary password
 * whose hash replaces the primary's, must-change and expiry set, every session ended, the
 * PGP/MIME mail queued. The plaintext lives only in this function's memory. Returns the
 * unmet conditions, or none.
 */
export async function approveRequest(deps: DecisionDeps, ticketId: number, agent: Agent): Promise<Condition[] | null> {
  const now = deps.clock.now();
  // Hashed before the transaction: argon2 must not hold the database's writer (it is wasted only on a refusal).
  const temporaryPassword = generateRandomPassword();
  const hash = await hashPassword(temporaryPassword);
  return withRequest(deps, ticketId, async (trx, request, ticket): Promise<Condition[]> => {
    const facts = await gatherFacts(trx, request, now);
    const approver = { ...agent, confirmed: await isConfirmedStaff(trx, agent.id) };
    const unmet = approvalConditions(facts, approver, deps.twoPerson).filter((c) => !c.met);
    if (unmet.length) return unmet;
    const expiresAt = new Date(now.getTime() + hours(deps.tempPasswordTtlHours));
    const key = await usableRecipientKey(facts.primary.email!, facts.key!.armoredKey, now);
    const ctx = { ticketId, accountName: facts.account.name, primaryUsername: facts.primary.username };
    const mail = await temporaryPasswordMail(deps.mailer, deps.clock, ctx, { email: facts.primary.email!, displayName: facts.primary.displayName, key }, temporaryPassword, expiresAt);
    if (!(await moveRequest(trx, request.id, "approve", { approved_by: agent.id, approved_at: now, key_fingerprint: facts.key!.fingerprint, temp_expires_at: expiresAt }, now))) {
      return [{ key: "pending", label: "The request is waiting for a decision", met: false, detail: "Another agent decided it a moment ago." }];
    }
    await storePassword(trx, facts.primary.id, hash, now, { mustChange: true, temporaryUntil: expiresAt });
    const outboxId = await enqueue(trx, mail, now);
    await updateRequestFields(trx, request.id, { outbox_id: outboxId }, now);
    await followTicket(trx, ticket, RESET_MOVES.approve.ticket, now);
    await recordStep(trx, ticketId, {
      kind: "approval",
      actor: actorOf(agent),
      action: "reset.approved",
      publicText: `Approved. A temporary password was sent, OpenPGP-encrypted, to the primary login's registered address. It is valid until ${formatUtc(expiresAt)} and must be changed at first sign-in.`,
      internalText: `Approved by ${agent.username}; temporary password encrypted to key ${groupFingerprint(facts.key!.fingerprint)}, mail #${outboxId}. Every session of ${facts.primary.username} was ended.`,
      details: { target: facts.primary.username, keyFingerprint: facts.key!.fingerprint, outboxId, expiresAt: expiresAt.toISOString() },
    }, now);
    return [];
  });
}

/**
 * Rejects with a reason: the ticket closes, the requester and the primary's address are told.
 * Any agent may, confirmed or not: a rejection only stops a reset, it never lets one through.
 */
export async function rejectRequest(deps: ResetDeps, ticketId: number, agent: Agent, reason: string): Promise<Problems | null> {
  const now = deps.clock.now();
  return withRequest(deps, ticketId, async (trx, request, ticket): Promise<Problems> => {
    const facts = await gatherFacts(trx, request, now);
    if (!(await moveRequest(trx, request.id, "reject", { rejected_by: agent.id, rejected_at: now, rejection_reason: reason }, now))) {
      return { reason: `The request is ${request.state} already: it cannot be rejected.` };
    }
    const ctx = { ticketId, accountName: facts.account.name, primaryUsername: facts.primary.username };
    for (const to of [facts.requester, facts.primary]) {
      if (to.email) await enqueue(trx, await resetNoticeMail(deps.mailer, deps.clock, ctx, { email: to.email, displayName: to.displayName }, "reset-rejected", reason), now);
    }
    await followTicket(trx, ticket, RESET_MOVES.reject.ticket, now);
    await recordStep(trx, ticketId, { kind: "rejection", actor: actorOf(agent), action: "reset.rejected", publicText: `Rejected by support: ${reason}`, details: { reason } }, now);
    return {};
  });
}

/** Any agent may withdraw a delivered temporary password before it is used, with a reason. */
export async function withdrawApproval(deps: ResetDeps, ticketId: number, agent: Agent, reason: string): Promise<Problems | null> {
  const now = deps.clock.now();
  return withRequest(deps, ticketId, async (trx, request): Promise<Problems> => {
    const withdrawal = { by: actorOf(agent), reason, internalText: `Temporary password withdrawn by ${agent.username}: ${reason}` };
    if (!(await withdrawTemporaryPassword(deps, trx, request, withdrawal, now))) return { reason: `The request is ${request.state}: there is no unused temporary password to withdraw.` };
    return {};
  });
}

/**
 * An admin clears an objection after reviewing it, with a note: a confirmed admin who has not
 * prepared this request (recorded a callback on it, or made one of the recent record changes),
 * so that the person who answers an objection is never one whose work it may be about.
 */
export async function clearObjection(deps: ResetDeps, ticketId: number, agent: Agent, note: string): Promise<Problems | null> {
  const now = deps.clock.now();
  return withRequest(deps, ticketId, async (trx, request): Promise<Problems> => {
    if (agent.role !== "admin") return { note: "Only an admin can clear an objection." };
    if (!hasOpenObjection(request)) return { note: "There is no open objection on this request." };
    if (request.state !== "pending") return { note: `The request is ${request.state}: there is nothing to clear.` };
    if (!(await isConfirmedStaff(trx, agent.id))) return { note: UNCONFIRMED_STAFF };
    const facts = await gatherFacts(trx, request, now);
    if (facts.callbacks.some((c) => c.agentId === agent.id)) return { note: "You recorded a callback on this request: another admin must review the objection." };
    const own = facts.recentChanges.find((c) => c.changedBy === agent.id);
    if (own) return { note: `You changed ${describeChange(own)} within the last 7 days: another admin must review the objection.` };
    await updateRequestFields(trx, request.id, { objection_cleared_by: agent.id, objection_cleared_at: now }, now);
    await recordStep(trx, ticketId, { kind: "objection", actor: actorOf(agent), action: "reset.objection_cleared", publicText: null, internalText: `Objection reviewed and cleared by ${agent.username}: ${note}`, details: { note } }, now);
    return {};
  });
}
