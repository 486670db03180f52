import type { TicketStatus } from "../tickets/index.js";

/** A primary reset request's states, the moves between them, and the ticket status each implies. */
export const RESET_STATES = ["pending", "delivered", "redeemed", "rejected", "expired", "withdrawn"] as const;
export type ResetState = (typeof RESET_STATES)[number];

export type ResetMove = "approve" | "reject" | "redeem" | "expire" | "withdraw";

/** The one table of moves: from which state each step may be taken, and where it leads. */
export const RESET_MOVES: Record<ResetMove, { from: ResetState; to: ResetState; ticket: TicketStatus }> = {
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
