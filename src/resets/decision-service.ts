import type { Knex } from "knex";
import { formatInZone } from "../shared/formatting.js";
import type { Actor } from "../shared/actor.js";
import { findContact, internationalPhone } from "../accounts/index.js";
import { generateRandomPassword, giveTemporaryPassword, hashPassword, isConfirmedStaff, removeAllFactors, UNCONFIRMED_STAFF } from "../identity/index.js";
import { hours } from "../shared/clock.js";
import { usableRecipientKey } from "../platform/mail/pgp.js";
import { enqueue } from "../platform/mail/outbox-store.js";
import { seal, unseal, type DataKey } from "../shared/sealing.js";
import { queueEndNotices, queueRequesterNotice, temporaryPasswordMail, type ResetMailContext } from "./reset-mails.js";
import { keylessTemporaryPasswordMail } from "./keyless-mail.js";
import { newDeliveryPassphrase, spokenPassphrase } from "./delivery-passphrase.js";
import { readsPassphrase, type DeliveryPlan } from "./delivery-plan.js";
import { moveRequest, withLockedRequest } from "./request-moves.js";
import { insertCallback, sealedDeliveryPassphrase, storeDeliveryPassphrase, updateRequestFields, type ResetRequest } from "./reset-store.js";
import type { ResetDeps } from "./request-service.js";
import { handOff, type HandOffDeps } from "./handoff.js";
import { writeAssignment } from "../tickets/index.js";
import { done, refused, refusedAt, type Refused, type Result } from "../shared/problems.js";
import { blocksApproval, gatherFacts, verifyFor, type Condition, type Verification, type VerificationFacts } from "./verification.js";
import { CALLBACK_OUTCOME_WORDS, RESET_MOVES, type CallbackOutcome } from "./vocabulary.js";

/**
 * What a callback needs: the data key seals a key-less holder's delivery passphrase;
 * KEYLESS_DELIVERY says whether one is made; with RESET_TWO_PERSON, who may approve next.
 */
export interface CallbackDeps extends HandOffDeps {
  dataKey: DataKey;
}

export interface DecisionDeps extends CallbackDeps {
  tempPasswordTtlHours: number;
}

/** The passphrase a callback issued, for the calling agent's own response page only: never stored in clear, never shown again. */
export interface IssuedPassphrase {
  passphrase: string;
  /** Its NATO spelling, one group a line. */
  spoken: string[];
  holderName: string;
}

// The sealed passphrase opens only on its own request's row.
const passphraseContext = (request: Pick<ResetRequest, "id">) => `passphrase:request:${request.id}`;

/**
 * Records a callback to a contact on file: the number dialled is copied from the record at
 * this moment, never typed in. A confirmed callback to a key-less primary's holder that counts
 * issues a new delivery passphrase (DESIGN §3 step 4b), replacing any earlier one: sealed with
 * the data key on the request until it leaves pending, and returned for the agent to read out.
 */
export async function recordCallback(
  deps: CallbackDeps,
  ticketId: number,
  agent: Actor,
  input: { contactId: number; outcome: CallbackOutcome; notes: string | null },
): Promise<Result<IssuedPassphrase | null>> {
  const contact = await findContact(deps.db, input.contactId);
  const now = deps.clock.now();
  return withLockedRequest(deps, ticketId, async (trx, locked): Promise<Result<IssuedPassphrase | null>> => {
    const { request } = locked;
    let issued: IssuedPassphrase | null = null;
    if (request.state !== RESET_MOVES.call_back.from) return refusedAt("contact_id", `The request is ${request.state}: no more callbacks are recorded.`);
    if (!(await isConfirmedStaff(trx, agent.id))) return refusedAt("contact_id", UNCONFIRMED_STAFF);
    if (!contact || contact.accountId !== request.accountId) return refusedAt("contact_id", "Choose a contact of this account from the records.");
    if (!contact.phone) return refusedAt("contact_id", `${contact.name} has no phone number on file.`);
    const phone = contact.phone;
    const moved = await moveRequest(trx, locked, "call_back", {
      step: async () => {
        const callbackId = await insertCallback(trx, { requestId: request.id, contactId: contact.id, contactName: contact.name, phoneDialled: phone, agentId: agent.id, outcome: input.outcome, notes: input.notes }, now);
        const facts = await gatherFacts(trx, request, now);
        if (readsPassphrase(facts, { contactId: contact.id, agentId: agent.id, outcome: input.outcome }, deps.keylessDelivery)) {
          const passphrase = newDeliveryPassphrase();
          await storeDeliveryPassphrase(trx, request.id, seal(deps.dataKey, passphrase, passphraseContext(request)), callbackId, now);
          issued = { passphrase, spoken: spokenPassphrase(passphrase), holderName: contact.name };
        }
        const issuedText = issued ? ` A delivery passphrase was issued and shown once to ${agent.username} to read out${request.hasDeliveryPassphrase ? "; it replaces the one read before" : ""}.` : "";
        return {
          kind: "callback",
          by: agent,
          action: "reset.callback_recorded",
          publicText: input.outcome === "confirmed" ? "Support called back a contact on file, who confirmed the request." : null,
          internalText: `Callback to ${contact.name} at ${internationalPhone(phone) ?? phone}: ${CALLBACK_OUTCOME_WORDS[input.outcome]}.${input.notes ? ` Notes: ${input.notes}` : ""}${issuedText}`,
          details: { contactId: contact.id, phoneDialled: phone, outcome: input.outcome, ...(issued && { deliveryPassphraseIssued: true }) },
        };
      },
    }, now);
    if (!moved) return refusedAt("contact_id", "The request changed a moment ago: look at it again.");
    // Whoever calls back takes an unassigned ticket: the work has an owner from its first step.
    if (locked.ticket.assigneeId === null) await writeAssignment(trx, agent, locked.ticket, agent, null, now);
    await handOff(deps, trx, request, now);
    return done(issued);
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
    const verification = await verifyFor(trx, locked.request, agent, deps, now);
    const { facts, conditions } = verification;
    const unmet = conditions.filter(blocksApproval);
    if (unmet.length) return { ...refused(unmetProblem(unmet)), verification };
    const primary = facts.primary;
    const delivery = verification.delivery;
    const expiresAt = new Date(now.getTime() + hours(deps.tempPasswordTtlHours));
    // On the desk's clock, zone named: the words go into a mail and into the timeline, written once for everyone.
    const until = formatInZone(expiresAt, deps.mailer.timeZone);
    const factor = approverFactor(conditions, factorCheckedAt, now);
    const ctx = { ticketId, accountName: facts.account.name, primaryUsername: primary.username };
    const mail = await deliveryMail(deps, trx, facts, delivery, ctx, temporaryPassword, expiresAt);
    if (!mail) return { ...refused({ approve: UNREADABLE_PASSPHRASE }), verification };
    const keyFingerprint = delivery.kind === "key" ? delivery.key.fingerprint : null;
    const how = delivery.kind === "key" ? "OpenPGP-encrypted" : "locked with the passphrase support read to the holder on the phone";
    // moveRequest erases the sealed passphrase with the move: it was read just above, in this transaction.
    const moved = await moveRequest(trx, locked, "approve", {
      fields: { approved_by: agent.id, approved_at: now, key_fingerprint: keyFingerprint, temp_expires_at: expiresAt },
      step: async () => {
        await giveTemporaryPassword(trx, primary.id, hash, expiresAt, now);
        // The request said the factor is lost too (an admin approved, verification.ts): it goes with the old password.
        const factorsRemoved = locked.request.factorLost ? await removeAllFactors(trx, deps, primary.id, agent, "lost_with_reset", { ticketId }) : null;
        const outboxId = await enqueue(trx, mail, now);
        await updateRequestFields(trx, locked.request.id, { outbox_id: outboxId }, now);
        await queueRequesterNotice(deps, trx, locked.request, "reset-approved", { expiresAt: until }, now);
        const factorText = factorsRemoved ? " The primary login's second factors were removed, as the request said they were lost: the holder sets up two-step sign-in again after choosing a new password." : "";
        return {
          kind: "approval",
          by: agent,
          action: "reset.approved",
          publicText: `Approved. A temporary password was sent, ${how}, to the primary login's registered address. It is valid until ${until} and must be changed at first sign-in.${factorText}`,
          internalText: `Approved by ${agent.username}${factor.proved ? "" : " without a second factor"}; temporary password ${delivery.words}, mail #${outboxId}. Every session of ${primary.username} was ended.`,
          details: {
            target: primary.username,
            keyFingerprint,
            ...(delivery.kind === "passphrase" && { delivery: "passphrase", passphraseCallbackId: delivery.callback.id }),
            outboxId,
            expiresAt: expiresAt.toISOString(),
            approverFactor: factor,
            ...(factorsRemoved && { factorsRemoved }),
          },
        };
      },
    }, now);
    return moved ? done() : refused(unmetProblem([{ key: "pending", label: "The request is waiting for a decision", met: false, detail: "Another agent decided it a moment ago." }]));
  });
}

/**
 * The temporary password's mail for the plan approval found: PGP/MIME to the holder's key, or
 * locked with the sealed passphrase, unsealed here and nowhere else.
 */
const UNREADABLE_PASSPHRASE =
  "The delivery passphrase can no longer be opened (the desk's data key changed, or the stored value was altered). Nothing was sent: an agent calls the holder back and records a confirmed callback for a new passphrase.";

async function deliveryMail(deps: DecisionDeps, trx: Knex.Transaction, facts: VerificationFacts, delivery: DeliveryPlan, ctx: ResetMailContext, temporaryPassword: string, expiresAt: Date) {
  const to = { email: facts.primary.email!, displayName: facts.primary.displayName };
  if (delivery.kind === "key") {
    const key = await usableRecipientKey(to.email, delivery.key.armoredKey, deps.clock.now());
    return temporaryPasswordMail(deps.mailer, deps.clock, ctx, { ...to, key }, temporaryPassword, expiresAt);
  }
  const sealed = await sealedDeliveryPassphrase(trx, facts.request.id);
  // Approval's conditions found the passphrase in this same transaction; its absence here is a bug, not a refusal.
  if (delivery.kind !== "passphrase" || sealed === null) throw new Error("approved with no way to deliver");
  let passphrase: string;
  try {
    passphrase = unseal(deps.dataKey, sealed, passphraseContext(facts.request));
  } catch {
    // Sealed with another data key, or altered: nothing is sent, and a new callback gives a new passphrase.
    return null;
  }
  return keylessTemporaryPasswordMail(deps.mailer, deps.clock, ctx, to, temporaryPassword, passphrase, expiresAt);
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
