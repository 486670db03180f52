import { formatUtcDay, groupFingerprint } from "../shared/formatting.js";
import type { Knex } from "knex";
import { accountRecordChanges, clearancesOfAccountSince, contactsOfAccount, describeChange, findAccount, hasOpenChangeObjection, RECENT_CHANGE_MS, type Account, type Contact, type RecordChange } from "../accounts/index.js";
import { currentKey, findLoginById, hasActiveFactor, isConfirmedStaff, type Login, type StoredKey } from "../identity/index.js";
import type { Db } from "../shared/db.js";
import { NoUsableKeyError, usableRecipientKey } from "../platform/mail/pgp.js";
import { listCallbacks, type Callback, type ResetRequest } from "./reset-store.js";
import { objectionStanding } from "./vocabulary.js";
import { deliveryPlanOf, ownNumberChange, type DeliveryPlan } from "./delivery-plan.js";

/** Everything the verification panel shows and approval checks, from the account records only. */
export interface VerificationFacts {
  request: ResetRequest;
  account: Account;
  requester: Login;
  /** The requester's own entry among the account's contacts, if it is listed. */
  requesterContact: Contact | null;
  primary: Login;
  contacts: Contact[];
  key: StoredKey | null;
  /** Why the key cannot be used today; null when it can. */
  keyProblem: string | null;
  /** Changes of the primary's email or key and of the contacts within the recent-change window, newest first. */
  recentChanges: RecordChange[];
  /** Changes of the account's records someone objected to, not yet cleared by an admin (whenever made). */
  objectedChanges: RecordChange[];
  /** Objections to changes of the account's records cleared within the recent-change window (by clear time), with who cleared each. */
  recentClearances: { change: RecordChange; clearedBy: number }[];
  callbacks: Callback[];
}

export interface Condition {
  key: string;
  label: string;
  met: boolean;
  detail: string;
  /** Shown plainly on the checklist, but approval goes ahead when it is not met. */
  advisory?: true;
  /** When unmet, what the approve area says instead of a button, as who or what approval waits for. */
  waitsFor?: string;
}

/** Whether a condition stops approval: unmet and not advisory. */
export const blocksApproval = (c: Condition): boolean => !c.met && !c.advisory;

/** The facts, the delivery they allow and the checklist for one approver: what approval checks and the panel shows. */
export interface Verification {
  facts: VerificationFacts;
  delivery: DeliveryPlan;
  conditions: Condition[];
}

/** The settings approval follows: RESET_TWO_PERSON and KEYLESS_DELIVERY. */
export interface ApprovalPolicy {
  twoPerson: boolean;
  keylessDelivery: boolean;
}

type Conn = Db | Knex.Transaction;

export async function gatherFacts(db: Conn, request: ResetRequest, now: Date): Promise<VerificationFacts> {
  // One after another: inside a transaction they share one connection (pg will not queue them).
  const account = await findAccount(db, request.accountId);
  const requester = await findLoginById(db, request.requesterId);
  const primary = await findLoginById(db, request.targetUserId);
  const contacts = await contactsOfAccount(db, request.accountId);
  const key = await currentKey(db, request.targetUserId);
  const callbacks = await listCallbacks(db, request.id);
  const keyProblem = await keyProblemOf(primary!, key, now);
  const since = new Date(now.getTime() - RECENT_CHANGE_MS);
  const changes = await accountRecordChanges(db, request.accountId, request.targetUserId, since);
  const recentClearances = await clearancesOfAccountSince(db, request.accountId, since);
  return {
    request,
    account: account!,
    requester: requester!,
    requesterContact: contacts.find((c) => c.userId === request.requesterId) ?? null,
    primary: primary!,
    contacts,
    key,
    keyProblem,
    recentChanges: changes.filter(isRecentFor(request, now)),
    objectedChanges: changes.filter(hasOpenChangeObjection),
    recentClearances,
    callbacks,
  };
}

/**
 * Whether a change of the account's records is one that makes an admin approve this request:
 * made within the recent-change window, to a contact or to the request's own primary login.
 */
export const isRecentFor = (request: Pick<ResetRequest, "targetUserId">, now: Date) => (c: RecordChange) =>
  c.createdAt.getTime() > now.getTime() - RECENT_CHANGE_MS && (c.userId === null || c.userId === request.targetUserId);

/** The facts, and the checklist as this approver would approve now (whether a second admin confirmed their login, and whether it has a second factor, are looked up). */
export async function verifyFor(db: Conn, request: ResetRequest, approver: Pick<Approver, "id" | "role">, policy: ApprovalPolicy, now: Date): Promise<Verification> {
  const facts = await gatherFacts(db, request, now);
  const delivery = deliveryPlanOf(facts, policy.keylessDelivery);
  return { facts, delivery, conditions: approvalConditions(facts, delivery, await approverOf(db, approver), policy) };
}

/** A staff login as the checklist sees it approve: whether a second admin confirmed it, and whether it has a second factor, looked up. */
export async function approverOf(db: Conn, login: Pick<Approver, "id" | "role">): Promise<Approver> {
  return { id: login.id, role: login.role, confirmed: await isConfirmedStaff(db, login.id), hasFactor: await hasActiveFactor(db, login.id) };
}

async function keyProblemOf(primary: Login, key: StoredKey | null, now: Date): Promise<string | null> {
  if (!primary.email) return "The primary login has no registered email address.";
  try {
    await usableRecipientKey(primary.email, key?.armoredKey, now);
    return null;
  } catch (err) {
    if (err instanceof NoUsableKeyError) return `No usable OpenPGP key: ${err.reason}.`;
    throw err;
  }
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** One recent change in words, for the panel and the checklist. */
export const changeLine = (c: RecordChange) => `${capitalised(describeChange(c))} changed on ${formatUtcDay(c.createdAt)}, by ${c.changedByName ?? "someone before the desk recorded who"}.`;

const names = (ids: (string | null)[]) => [...new Set(ids.map((n) => n ?? "unrecorded"))].join(", ");

/** Who approves: `confirmed` says a second admin confirmed their staff login (issue 10 review 1a); `hasFactor`, that it has an active second factor. */
export interface Approver {
  id: number;
  role: string;
  confirmed: boolean;
  hasFactor: boolean;
}

/**
 * The approval checklist (DESIGN §3 step 3) for one approver: every condition, met or not,
 * each named. Approval needs all of them but the advisory ones.
 */
export function approvalConditions(facts: VerificationFacts, delivery: DeliveryPlan, approver: Approver, { twoPerson, keylessDelivery }: ApprovalPolicy): Condition[] {
  const { request, requester, requesterContact, callbacks } = facts;
  // A callback to a number its own caller just set proves only that the caller can answer a phone.
  const selfSet = callbacks.filter((c) => c.outcome === "confirmed" && ownNumberChange(facts, c));
  const confirmed = callbacks.filter((c) => c.outcome === "confirmed" && !selfSet.includes(c));
  const denied = callbacks.filter((c) => c.outcome === "denied");
  const conditions: Condition[] = [
    {
      key: "pending",
      label: "The request is waiting for a decision",
      met: request.state === "pending",
      detail: request.state === "pending" ? "No decision has been taken yet." : `The request is ${request.state} already.`,
    },
    {
      key: "account_active",
      label: "The account and the primary login are active",
      met: facts.account.status === "active" && !facts.primary.disabledAt,
      detail: facts.account.status !== "active" ? "The account is suspended." : facts.primary.disabledAt ? "The primary login is disabled." : "Both are active.",
    },
    {
      key: "requester_authorised",
      label: "The requester is a listed contact authorised for support",
      met: requester.canOpenCases && !requester.disabledAt && Boolean(requesterContact?.authorisedForSupport),
      detail: !requester.canOpenCases || requester.disabledAt
        ? `${requester.username} is no longer authorised to open support cases.`
        : !requesterContact
          ? `${requester.username} is not listed among the account's contacts.`
          : requesterContact.authorisedForSupport
            ? `${requesterContact.name} is listed and authorised.`
            : `${requesterContact.name} is listed but not authorised for support.`,
    },
    {
      key: "callback_confirmed",
      label: "A callback to a number on file confirmed the request",
      met: confirmed.length > 0,
      detail: confirmed.length
        ? `Confirmed by ${confirmed.map((c) => c.contactName).join(", ")}.`
        : selfSet.length
          ? selfSet.map((c) => `The callback to ${c.contactName} does not count: ${c.agentUsername} changed that number within the last 7 days and then called it.`).join(" ") + " Another agent must call back."
          : "No callback has confirmed it yet.",
      waitsFor: selfSet.length ? "Waiting for a callback by another agent: the one recorded does not count." : "Waiting for a callback: no callback to a number on file has confirmed the request yet.",
    },
    {
      key: "no_denial",
      label: "No callback denied the request",
      met: denied.length === 0,
      detail: denied.length ? `Denied by ${denied.map((c) => c.contactName).join(", ")}: reject the request.` : "No denial.",
      waitsFor: "A callback denied the request: reject it.",
    },
    {
      key: "no_objection",
      label: "No open objection",
      met: objectionStanding(request) !== "open",
      detail: objectionStanding(request) === "open" ? `An objection was raised from ${request.objectedBy ?? "an alert mail"}; an admin must review and clear it, or reject.` : "None.",
      waitsFor: "Waiting for an admin to review the objection and clear it, or reject the request.",
    },
    deliveryCondition(facts, delivery, keylessDelivery),
  ];
  conditions.push({
    key: "approver_confirmed",
    label: "The approver's staff login is confirmed by a second admin",
    met: approver.confirmed,
    detail: approver.confirmed ? "Confirmed." : "Your staff login was created, or its address or password link handled, by another admin and no second admin has confirmed it yet.",
  });
  conditions.push(approverFactorCondition(approver));
  // A reset that also removes the holder's factors is never one person's work, whatever RESET_TWO_PERSON says.
  if (twoPerson || request.factorLost) {
    const ownCallback = confirmed.length > 0 && confirmed.every((c) => c.agentId === approver.id);
    // Who read the passphrase knows it: they must not also be the one who sends the mail it opens.
    const readIt = delivery.kind === "passphrase" && delivery.callback.agentId === approver.id;
    conditions.push({
      key: "two_person",
      label: "The approver is not the agent who did the callback",
      met: !ownCallback && !readIt,
      detail: ownCallback
        ? "You recorded the confirming callback: a second agent must approve."
        : readIt
          ? "You read the delivery passphrase to the holder: a second agent must approve."
          : "Two different people verify and approve.",
      waitsFor: `Waiting for a second agent: ${ownCallback ? "you recorded the confirming callback" : "you read the delivery passphrase to the holder"}.`,
    });
  } else if (delivery.kind === "passphrase") {
    // Whatever RESET_TWO_PERSON says: the approver never knows the passphrase of the mail it sends (issue 14 item 5).
    const readIt = delivery.callback.agentId === approver.id;
    conditions.push({
      key: "passphrase_reader",
      label: "The approver is not the agent who read the delivery passphrase",
      met: !readIt,
      detail: readIt ? "You read the delivery passphrase to the holder: a second agent must approve." : `${delivery.callback.agentUsername} read it; you never saw it.`,
      waitsFor: "Waiting for a second agent: you read the delivery passphrase to the holder.",
    });
  }
  if (facts.recentChanges.length) {
    conditions.push({
      key: "admin_for_recent_change",
      label: "An admin approves, because of a recent change to the records",
      met: approver.role === "admin",
      detail: facts.recentChanges.map(changeLine).join(" ") + (approver.role === "admin" ? "" : " Only an admin may approve."),
      waitsFor: `Only an admin may approve: ${[...new Set(facts.recentChanges.map(describeChange))].join(" and ")} changed within the last 7 days.`,
    });
  }
  if (request.factorLost) {
    conditions.push({
      key: "admin_for_lost_factor",
      label: "An admin approves, because the holder's second factor is lost",
      met: approver.role === "admin",
      detail: `The request says ${facts.primary.username}'s second factor is lost too: approval removes its authenticator app, passkeys and recovery codes.` + (approver.role === "admin" ? "" : " Only an admin may approve."),
      waitsFor: `Only an admin may approve: the request says ${facts.primary.username}'s second factor is lost too.`,
    });
  }
  conditions.push(...recordChangeConditions(facts, approver));
  return conditions;
}

/**
 * How the temporary password reaches the holder (condition `key_usable`): a usable key, or,
 * for a key-less primary under KEYLESS_DELIVERY=on, a passphrase read on a confirmed callback
 * to the primary contact that still counts. Off, a key-less request waits for a key, as before.
 */
function deliveryCondition(facts: VerificationFacts, delivery: DeliveryPlan, keylessDelivery: boolean): Condition {
  const keyLabel = "The primary login has a usable OpenPGP key for its registered address";
  if (delivery.kind === "key") return { key: "key_usable", label: keyLabel, met: true, detail: `Key ${groupFingerprint(delivery.key.fingerprint)} will encrypt the mail.` };
  if (!keylessDelivery || !facts.primary.email) return { key: "key_usable", label: keyLabel, met: false, detail: delivery.words };
  return {
    key: "key_usable",
    label: "A delivery passphrase was read on a confirmed callback to the primary contact",
    met: delivery.kind === "passphrase",
    detail: delivery.kind === "passphrase" ? `The mail will be ${delivery.words}.` : delivery.words,
  };
}

/**
 * The approver proves a second factor: the approve route asks for it again when the last check
 * is older than STEP_UP_MINUTES. Advisory: a staff login without one exists only under
 * STAFF_SECOND_FACTOR=optional (under `required` it reaches nothing but enrolment), and that
 * operator's choice is named here and in the approval's record rather than refused.
 */
function approverFactorCondition(approver: Approver): Condition {
  return {
    key: "approver_second_factor",
    label: "The approver confirmed a second factor",
    met: approver.hasFactor,
    advisory: true,
    detail: approver.hasFactor
      ? "Approving asks for your code again when your last check is more than a few minutes old."
      : "Your login has no second factor: the approval will be recorded as made without one. Set one up under My profile → Two-step sign-in.",
  };
}

/**
 * The conditions on who approves after the records changed (issue 10): no open objection to a
 * change, and an approver who made none of the recent changes and cleared no objection here.
 * Whatever the two-person setting says: one person must never both prepare and approve.
 */
function recordChangeConditions({ request, recentChanges, objectedChanges, recentClearances }: VerificationFacts, approver: { id: number }): Condition[] {
  const own = recentChanges.filter((c) => c.changedBy === approver.id);
  const clearedHere = request.objectionClearedBy === approver.id;
  const clearedChange = [...new Map(recentClearances.filter((c) => c.clearedBy === approver.id).map((c) => [c.change.id, c.change])).values()];
  return [
    {
      key: "no_record_change_objection",
      label: "No open objection to a change of the account's records",
      met: objectedChanges.length === 0,
      detail: objectedChanges.length
        ? objectedChanges.map((c) => `Someone objected, from the link mailed to ${c.objectedBy ?? "a notice"}, to the change of ${describeChange(c)} on ${formatUtcDay(c.createdAt)}.`).join(" ") +
          " An admin must review and clear it on the account's page, or reject."
        : "None.",
    },
    {
      key: "approver_not_record_changer",
      label: "The approver made none of the recent changes to the primary's email or key or a contact's phone or email",
      met: own.length === 0,
      detail: own.length
        ? `You changed ${own.map(describeChange).join(" and ")} within the last 7 days: another admin must approve.`
        : recentChanges.length
          ? `The recent changes were made by ${names(recentChanges.map((c) => c.changedByName))}.`
          : "No recent change to the records.",
      waitsFor: `Waiting for another admin: you changed ${own.map(describeChange).join(" and ")} within the last 7 days.`,
    },
    {
      key: "approver_not_objection_clearer",
      label: "The approver cleared no objection on this request or to a recent change",
      met: !clearedHere && clearedChange.length === 0,
      detail: clearedHere
        ? "You cleared the objection to this request: another admin must approve."
        : clearedChange.length
          ? `You cleared the objection to the change of ${clearedChange.map(describeChange).join(" and ")}: another admin must approve.`
          : "No objection was cleared by you.",
      waitsFor: "Waiting for another admin: you cleared an objection here.",
    },
  ];
}
