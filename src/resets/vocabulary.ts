import type { TicketStatus } from "../tickets/index.js";

// The words of the resets domain in one place (CONTEXT.md says what each means): a request's
// states and the one table of moves between them, the objection's standing, callback
// outcomes, delivery statuses, and the words the desk shows for each.

/** A primary reset request's states. */
export const RESET_STATES = ["pending", "delivered", "redeemed", "rejected", "expired", "withdrawn"] as const;
export type ResetState = (typeof RESET_STATES)[number];

export type ResetMove = "call_back" | "approve" | "reject" | "redeem" | "expire" | "withdraw";

/**
 * The one table of moves: from which state each step may be taken, where it leads, and the
 * status its ticket follows to. `moveRequest` (request-moves.ts) is the only writer of a state;
 * an objection is not a state but two columns beside it, read only through `objectionStanding`.
 */
export const RESET_MOVES: Record<ResetMove, { from: ResetState; to: ResetState; ticket: TicketStatus }> = {
  // A callback keeps the request pending and puts its ticket in work.
  call_back: { from: "pending", to: "pending", ticket: "open" },
  // Approved: the temporary password is out; the ticket waits for the holder to sign in.
  approve: { from: "pending", to: "delivered", ticket: "pending_customer" },
  reject: { from: "pending", to: "rejected", ticket: "closed" },
  redeem: { from: "delivered", to: "redeemed", ticket: "closed" },
  expire: { from: "delivered", to: "expired", ticket: "closed" },
  // Cancelled before use: by an agent, or at once when someone on the records objects.
  withdraw: { from: "delivered", to: "withdrawn", ticket: "closed" },
};

/** Open requests block a second one for the same account (a unique index enforces it too). */
export const OPEN_RESET_STATES: readonly ResetState[] = ["pending", "delivered"];

export const RESET_STATE_LABELS: Record<ResetState, string> = {
  pending: "Waiting for verification and approval",
  delivered: "Temporary password sent; waiting for the holder to sign in",
  redeemed: "Completed: the holder set a new password",
  rejected: "Rejected",
  expired: "Expired: the temporary password was not used in time",
  withdrawn: "Withdrawn: the temporary password was cancelled before it was used",
};

/** How a request ended, in the one word its customer reads for its closed ticket's status. */
export const RESET_ENDINGS: Partial<Record<ResetState, string>> = {
  redeemed: "Completed",
  rejected: "Rejected",
  withdrawn: "Withdrawn",
  expired: "Expired",
};

/**
 * Where an objection to the request stands: `none` raised, `open` (raised and not cleared: it
 * blocks approval, and a delivered password is withdrawn the moment it is raised) or
 * `cleared` by an admin's review. The one reading of the objection columns; every reader asks it.
 */
export type ObjectionStanding = "none" | "open" | "cleared";

export const objectionStanding = (request: { objectedAt: Date | null; objectionClearedAt: Date | null }): ObjectionStanding =>
  request.objectedAt === null ? "none" : request.objectionClearedAt === null ? "open" : "cleared";

/** The outcomes an agent records for a callback to a contact on file. */
export const CALLBACK_OUTCOMES = ["confirmed", "denied", "no_answer", "wrong_number"] as const;
export type CallbackOutcome = (typeof CALLBACK_OUTCOMES)[number];

/** A callback's outcome in the timeline's words: "<contact> confirmed the request". */
export const CALLBACK_OUTCOME_WORDS: Record<CallbackOutcome, string> = {
  confirmed: "confirmed the request",
  denied: "denied the request",
  no_answer: "did not answer",
  wrong_number: "was a wrong number",
};

/**
 * Where the temporary password's mail is, read from its outbox row (the one source of truth:
 * an admin's Retry that goes through makes it `sent` again with nothing else to update).
 */
export type DeliveryStatus = "waiting" | "retrying" | "sent" | "failed";

export const DELIVERY_LABELS: Record<DeliveryStatus, string> = {
  waiting: "Temporary password approved; its mail is waiting to go out",
  retrying: "Temporary password approved; its mail could not be sent yet and is being retried",
  sent: RESET_STATE_LABELS.delivered,
  failed: "Delivery failed: the temporary password's mail could not be delivered",
};

/** Every primary reset ticket's subject: the requester never words it. */
export const RESET_SUBJECT = "Primary account password reset request";
