import { failedForGood } from "../platform/mail/send-failures.js";
import type { RecordChange } from "../accounts/index.js";
import { ownNumberChange } from "./delivery-plan.js";
import type { Callback, ResetRequest } from "./reset-store.js";
import { objectionStanding, type DeliveryStatus, type ObjectionStanding, type ResetState } from "./vocabulary.js";

// Where a reset request stands, in one place: the queue's rows and the ticket page's panel both
// build a StageInput from the request, its callbacks, the recent record changes and its mail,
// and ask stageOf. Nothing else words a stage.

/** A request's stage: its state, refined while pending by what it waits for, and while delivered by its mail. */
export type ResetStage =
  | "awaiting_callback"
  | "callback_denied"
  | "objection_open"
  | "awaiting_admin"
  | "awaiting_approval"
  | "blocked"
  | "password_being_sent"
  | "password_sent"
  | "delivery_failed"
  | "redeemed"
  | "rejected"
  | "withdrawn"
  | "expired";

/** What a stage is read from. */
export interface StageInput {
  state: ResetState;
  objection: ObjectionStanding;
  /** A confirmed callback that counts (not one to a number its own caller just set). */
  callbackCounts: boolean;
  /** A callback denied the request. */
  denied: boolean;
  /** The second factor is lost too, or the records changed recently: only an admin approves. */
  adminNeeded: boolean;
  /** Someone may approve it now: the stored approvers (handoff.ts), derived from the full checklist. */
  anyApprover: boolean;
  tempExpiresAt: Date | null;
  /** The temporary password's mail, while delivered; null before. */
  delivery: DeliveryStatus | null;
}

/** Where the temporary password's mail is, from its outbox row (the one source of truth). */
export function deliveryStatusOf(mail: { status: string; nextAttemptAt: Date | null }): DeliveryStatus {
  if (mail.status === "sent") return "sent";
  if (failedForGood(mail) || mail.status === "cancelled") return "failed";
  return mail.status === "failed" ? "retrying" : "waiting";
}

/**
 * The input from a request, its callbacks and its recent record changes (those that make an
 * admin approve: see verification.ts isRecentFor) and its mail's status, if it has one.
 */
export function stageInputOf(request: ResetRequest, callbacks: readonly Callback[], recentChanges: RecordChange[], delivery: DeliveryStatus | null, anyApprover: boolean): StageInput {
  return {
    state: request.state,
    objection: objectionStanding(request),
    callbackCounts: callbacks.some((c) => c.outcome === "confirmed" && !ownNumberChange({ recentChanges }, c)),
    denied: callbacks.some((c) => c.outcome === "denied"),
    adminNeeded: request.factorLost || recentChanges.length > 0,
    anyApprover,
    tempExpiresAt: request.tempExpiresAt,
    delivery: request.state === "delivered" ? delivery : null,
  };
}

export function stageOf(input: StageInput): ResetStage {
  switch (input.state) {
    case "pending":
      // In the order an agent must deal with them: an objection or a denial stops everything.
      if (input.objection === "open") return "objection_open";
      if (input.denied) return "callback_denied";
      if (!input.callbackCounts) return "awaiting_callback";
      // An admin is needed: awaited even while no admin may yet (the only one made the change).
      if (input.adminNeeded) return "awaiting_admin";
      // Verified, yet nobody may approve: another condition of the checklist (a key, the
      // requester's authorisation, the account) holds it, which the ticket's page names.
      return input.anyApprover ? "awaiting_approval" : "blocked";
    case "delivered":
      if (input.delivery === "failed") return "delivery_failed";
      return input.delivery === "sent" ? "password_sent" : "password_being_sent";
    default:
      return input.state;
  }
}

const WORDS: Record<ResetStage, string> = {
  awaiting_callback: "awaiting callback",
  callback_denied: "callback denied: reject it",
  objection_open: "objection open",
  awaiting_admin: "awaiting an admin",
  awaiting_approval: "awaiting approval",
  blocked: "verified, but held: see the checklist",
  password_being_sent: "password being sent",
  password_sent: "password sent",
  delivery_failed: "delivery failed",
  redeemed: "redeemed",
  rejected: "rejected",
  withdrawn: "withdrawn",
  expired: "expired",
};

/** "5 h", "40 min", "2 d": how long until `until`, short enough for a queue cell. */
function timeLeft(until: Date, now: Date): string {
  const minutes = Math.ceil((until.getTime() - now.getTime()) / 60_000);
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h`;
  return `${Math.floor(minutes / 1440)} d`;
}

/** The stage in words; a password out says when it expires ("password sent, expires in 5 h"). */
export function stageWords(stage: ResetStage, input: Pick<StageInput, "tempExpiresAt">, now: Date): string {
  const words = WORDS[stage];
  if ((stage !== "password_sent" && stage !== "password_being_sent") || !input.tempExpiresAt) return words;
  // Past the expiry, the expiry task has not run yet: say so rather than a negative time.
  if (input.tempExpiresAt.getTime() <= now.getTime()) return `${words}, expiring now`;
  return `${words}, expires in ${timeLeft(input.tempExpiresAt, now)}`;
}
