// The words of tickets, in one place: types, statuses and the one table of moves between them,
// priorities, timeline event kinds and the limits of what a customer writes (CONTEXT.md says
// what each means). The table sits with the statuses so a new status cannot miss its moves.
import { MAX_ROW_ID } from "../shared/row-ids.js";

export const TICKET_TYPES = ["general", "technical", "non_technical", "primary_reset"] as const;
export type TicketType = (typeof TICKET_TYPES)[number];
/** The types a customer may open; `primary_reset` is opened only through the reset request form. */
export const CUSTOMER_TICKET_TYPES = ["general", "technical", "non_technical"] as const satisfies readonly TicketType[];
export const TYPE_LABELS: Record<TicketType, string> = {
  general: "General question",
  technical: "Technical problem",
  non_technical: "Billing or other non-technical matter",
  primary_reset: "Primary account password reset",
};

export const TICKET_STATUSES = ["new", "open", "pending_customer", "resolved", "closed"] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export const STATUS_LABELS: Record<TicketStatus, string> = {
  new: "New",
  open: "Open",
  pending_customer: "Waiting for customer",
  resolved: "Resolved",
  closed: "Closed",
};

/**
 * A ticket's status in the words its customer reads, the one place that knows a reset ticket
 * reads differently: its status follows its request (resets/ RESET_MOVES), so while the
 * temporary password is out it waits for the primary holder, not for the customer who asked;
 * closed, it says how the request ended (`ending`: resets/ words it, as tickets cannot read
 * the request). Without an ending a closed ticket is "Closed".
 */
export function statusLabelFor(ticket: { status: TicketStatus; type: TicketType }, ending?: string | null): string {
  if (ticket.type !== "primary_reset") return STATUS_LABELS[ticket.status];
  if (ticket.status === "pending_customer") return "Waiting for the primary holder";
  if (ticket.status === "closed" && ending) return ending;
  return STATUS_LABELS[ticket.status];
}

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

export const TICKET_PRIORITIES = ["low", "normal", "high", "urgent"] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];

/** What a timeline entry is: a reply or note, a change of the ticket, or a step of its reset request. */
export type EventKind = "reply" | "note" | "status" | "priority" | "assignment" | "system" | "callback" | "approval" | "rejection" | "objection";
/** Public entries are shown to the customer; internal ones to staff only. */
export type Visibility = "public" | "internal";

export const SUBJECT_MAX = 200;
export const BODY_MAX = 10_000;

/** "#12": that ticket and no other; anything else (a bare "12" too) is searched as text. */
export function ticketNumberIn(q: string): number | null {
  const match = /^#\s*(\d{1,10})$/.exec(q);
  if (!match) return null;
  const n = Number(match[1]);
  return n <= MAX_ROW_ID ? n : null;
}
