import { STATUS_LABELS, statusLabelFor, TICKET_PRIORITIES, TICKET_STATUSES, transitionProblem, TYPE_LABELS, type TicketStatus, type TicketType } from "../tickets/index.js";

/** "just now", "12 min", "5 h", "3 d": how long ago, short enough for a queue column. */
function formatAge(from: Date, now: Date): string {
  const minutes = Math.floor((now.getTime() - from.getTime()) / 60_000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h`;
  return `${Math.floor(minutes / 1440)} d`;
}

/** The statuses an agent may move a ticket to from where it is. */
const nextStatuses = (from: TicketStatus) => TICKET_STATUSES.filter((to) => transitionProblem(from, to) === null);

/**
 * Labels and small helpers the ticket views share, passed as the `tv` local. `endings` says how
 * the closed reset tickets on the page ended (resets/ resetEndingsOf), for their status words.
 */
export const ticketView = (now: Date, endings?: ReadonlyMap<number, string>) => ({
  statuses: TICKET_STATUSES,
  priorities: TICKET_PRIORITIES,
  statusLabel: (s: TicketStatus) => STATUS_LABELS[s],
  /** A ticket's own status, in the words of its type (a reset ticket waits for the primary holder). */
  ticketStatus: (ticket: { id: number; status: TicketStatus; type: TicketType }) => statusLabelFor(ticket, endings?.get(ticket.id)),
  typeLabel: (t: keyof typeof TYPE_LABELS) => TYPE_LABELS[t],
  age: (d: Date) => formatAge(d, now),
  nextStatuses,
});
