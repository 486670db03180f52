/** Ticket statuses and the one table of moves between them. */
export const TICKET_STATUSES = ["new", "open", "pending_customer", "resolved", "closed"] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export const STATUS_LABELS: Record<TicketStatus, string> = {
  new: "New",
  open: "Open",
  pending_customer: "Waiting for customer",
  resolved: "Resolved",
  closed: "Closed",
};

const MOVES: Record<TicketStatus, readonly TicketStatus[]> = {
  new: ["open", "pending_customer", "resolved", "closed"],
  open: ["pending_customer", "resolved", "closed"],
  pending_customer: ["open", "resolved", "closed"],
  resolved: ["open", "closed"],
  // Closed is final: a customer with more to say opens a new ticket.
  closed: [],
};

/** Why a move is not allowed, or null when it is. */
export function transitionProblem(from: TicketStatus, to: TicketStatus): string | null {
  if (from === to) return `The ticket is already ${STATUS_LABELS[to].toLowerCase()}.`;
  if (MOVES[from].includes(to)) return null;
  if (from === "closed") return "A closed ticket cannot change status; open a new ticket instead.";
  return `A ticket cannot go from ${STATUS_LABELS[from].toLowerCase()} to ${STATUS_LABELS[to].toLowerCase()}.`;
}

