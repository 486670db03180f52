import { formatUtc, groupFingerprint } from "../shared/formatting.js";
import type { Actor } from "../shared/actor.js";
import { findContact } from "../accounts/index.js";
import { generateRandomPassword, giveTemporaryPassword, hashPassword, isConfirmedStaff, removeAllFactors, UNCONFIRMED_STAFF } from "../identity/index.js";
import { hours } from "../shared/clock.js";
import { usableRecipientKey } from "../platform/mail/pgp.js";
import { enqueue } from "../platform/mail/outbox-store.js";
import { queueEndNotices, temporaryPasswordMail } from "./reset-mails.js";
import { moveRequest, withLockedRequest } from "./request-moves.js";
import { insertCallback, updateRequestFields } from "./reset-store.js";
import type { ResetDeps } from "./request-service.js";
import { done, refused, refusedAt, type Refused, type Result } from "../shared/problems.js";
import { blocksApproval, verifyFor, type Condition, type Verification } from "./verification.js";
import { CALLBACK_OUTCOME_WORDS, RESET_MOVES, type CallbackOutcome } from "./vocabulary.js";

export interface DecisionDeps extends ResetDeps {
  twoPerson: boolean;
  tempPasswordTtlHours: number;
}

/**
 * Records a callback to a contact on file: the number dialled is copied from the record at
 * this moment, never typed in.
 */
export async function recordCallback(deps: ResetDeps, ticketId: number, agent: Actor, input: { contactId: number; outcome: CallbackOutcome; notes: string | null }): Promise<Result> {
  const contact = await findContact(deps.db, input.contactId);
  const now = deps.clock.now();
  return withLockedRequest(deps, ticketId, async (trx, locked): Promise<Result> => {
    const { request } = locked;
    if (request.state !== RESET_MOVES.call_back.from) return refusedAt("contact_id", `The request is ${request.state}: no more callbacks are recorded.`);
    if (!(await isConfirmedStaff(trx, agent.id))) return refusedAt("contact_id", UNCONFIRMED_STAFF);
    if (!contact || contact.accountId !== request.accountId) return refusedAt("contact_id", "Choose a contact of this account from the records.");
    if (!contact.phone) return refusedAt("contact_id", `${contact.name} has no phone number on file.`);
    const phone = contact.phone;
    const moved = await moveRequest(trx, locked, "call_back", {
      step: async () => {
        await insertCallback(trx, { requestId: request.id, contactId: contact.id, contactName: contact.name, phoneDialled: phone, agentId: agent.id, outcome: input.outcome, notes: input.notes }, now);
        return {
          kind: "callback",
          by: agent,
          action: "reset.callback_recorded",
          publicText: input.outcome === "confirmed" ? "Support called back a contact on file, who confirmed the request." : null,
          internalText: `Callback to ${contact.name} at ${phone}: ${CALLBACK_OUTCOME_WORDS[input.outcome]}.${input.notes ? ` Notes: ${input.notes}` : ""}`,
          details: { contactId: contact.id, phoneDialled: phone, outcome: input.outcome },
        };
      },
    }, now);
    return moved ? done() : refusedAt("contact_id", "The request changed a moment ago: look at it again.");
  });
}

/** A refused approval; `verification` is there when the conditions refused it (not when another agent decided first). */
export type ApprovalRefused = Refused & { verification?: Verification };

const unmetProblem = (unmet: Condition[]) => ({ approve: unmet.map((c) => `${c.label}: ${c.detail}`).join(" ") });

/**
 * Approves and delivers in one transaction (DESIGN §3 step 4): a CSPRNG temporary password
 * whose hash replaces the primary's, must-change and expiry set, every session ended, the
 * PGP/MIME mail queued. The plaintext lives only in this function's memory. Refused with
 * every unmet condition named. `factorCheckedAt` is when the approver's session last proved its
 * second factor (the route's step-up made it recent), recorded with the approval.
 */
export async function approveRequest(deps: DecisionDeps, ticketId: number, agent: Actor, factorCheckedAt: Date | null): Promise<Result | ApprovalRefused> {
  const now = deps.clock.now();
  // Hashed before the transaction: argon2 must not hold the database's writer (it is wasted only on a refusal).
  const temporaryPassword = generateRandomPassword();
  const hash = await hashPassword(temporaryPassword);
  return withLockedRequest(deps, ticketId, async (trx, locked): Promise<Result | ApprovalRefused> => {
    const verification = await verifyFor(trx, locked.request, agent, deps.twoPerson, now);
    const { facts, conditions } = verification;
    const unmet = conditions.filter(blocksApproval);
    if (unmet.length) return { ...refused(unmetProblem(unmet)), verification };
    const primary = facts.primary;
    const key = facts.key!;
    const expiresAt = new Date(now.getTime() + hours(deps.tempPasswordTtlHours));
    const factor = approverFactor(conditions, factorCheckedAt, now);
    const recipientKey = await usableRecipientKey(primary.email!, key.armoredKey, now);
    const ctx = { ticketId, accountName: facts.account.name, primaryUsername: primary.username };
    const mail = await temporaryPasswordMail(deps.mailer, deps.clock, ctx, { email: primary.email!, displayName: primary.displayName, key: recipientKey }, temporaryPassword, expiresAt);
    const moved = await moveRequest(trx, locked, "approve", {
      fields: { approved_by: agent.id, approved_at: now, key_fingerprint: key.fingerprint, temp_expires_at: expiresAt },
      step: async () => {
        await giveTemporaryPassword(trx, primary.id, hash, expiresAt, now);
        // The request said the factor is lost too (an admin approved, verification.ts): it goes with the old password.
        const factorsRemoved = locked.request.factorLost ? await removeAllFactors(trx, deps, primary.id, agent, "lost_with_reset", { ticketId }) : null;
        const outboxId = await enqueue(trx, mail, now);
        await updateRequestFields(trx, locked.request.id, { outbox_id: outboxId }, now);
        const factorText = factorsRemoved ? " The primary login's second factors were removed, as the request said they were lost: the holder sets up two-step sign-in again after choosing a new password." : "";
        return {
          kind: "approval",
          by: agent,
          action: "reset.approved",
          publicText: `Approved. A temporary password was sent, OpenPGP-encrypted, to the primary login's registered address. It is valid until ${formatUtc(expiresAt)} and must be changed at first sign-in.${factorText}`,
          internalText: `Approved by ${agent.username}${factor.proved ? "" : " without a second factor"}; temporary password encrypted to key ${groupFingerprint(key.fingerprint)}, mail #${outboxId}. Every session of ${primary.username} was ended.`,
          details: { target: primary.username, keyFingerprint: key.fingerprint, outboxId, expiresAt: expiresAt.toISOString(), approverFactor: factor, ...(factorsRemoved && { factorsRemoved }) },
        };
      },
    }, now);
    return moved ? done() : refused(unmetProblem([{ key: "pending", label: "The request is waiting for a decision", met: false, detail: "Another agent decided it a moment ago." }]));
  });
}

/** Whether the approver proved a second factor, and how many seconds before approving (none: its login has no factor). */
function approverFactor(conditions: Condition[], checkedAt: Date | null, now: Date): { proved: boolean; secondsBefore: number | null } {
  const proved = Boolean(conditions.find((c) => c.key === "approver_second_factor")?.met) && checkedAt !== null;
  return { proved, secondsBefore: proved ? Math.round((now.getTime() - checkedAt.getTime()) / 1000) : null };
}

/**
 * Rejects with a reason: the ticket closes, the requester and the primary's address are told.
 * Any agent may, confirmed or not: a rejection only stops a reset, it never lets one through.
 */
export async function rejectRequest(deps: ResetDeps, ticketId: number, agent: Actor, reason: string): Promise<Result> {
  const now = deps.clock.now();
  return withLockedRequest(deps, ticketId, async (trx, locked): Promise<Result> => {
    const moved = await moveRequest(trx, locked, "reject", {
      fields: { rejected_by: agent.id, rejected_at: now, rejection_reason: reason },
      step: async () => {
        await queueEndNotices(deps, trx, locked.request, "reset-rejected", reason, now);
        return { kind: "rejection", by: agent, action: "reset.rejected", publicText: `Rejected by support: ${reason}`, details: { reason } };
      },
    }, now);
    return moved ? done() : refusedAt("reason", `The request is ${locked.request.state} already: it cannot be rejected.`);
  });
}
