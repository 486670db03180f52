import { STATUS_LABELS, statusLabelFor, TICKET_PRIORITIES, TICKET_STATUSES, transitionProblem, TYPE_LABELS, type TicketStatus, type TicketType } from "../tickets/index.js";

/** "just now", "12 min ago", "5 h ago", "3 d ago", "in 3 h": a moment from now, short enough for a queue column. */
function relativeWords(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  if (minutes < 1) return "just now";
  const span = minutes < 60 ? `${minutes} min` : minutes < 48 * 60 ? `${Math.floor(minutes / 60)} h` : `${Math.floor(minutes / 1440)} d`;
  return ms < 0 ? `${span} ago` : `in ${span}`;
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
  /** How far a moment is from the page's now, in words (views/partials/relative-time.ejs puts it in a <time>). */
  relative: (d: Date) => relativeWords(d, now),
  nextStatuses,
});
