import type { Knex } from "knex";
import { insertEvent, insertTicket, updateTicketStatus, type NewEvent, type NewTicket, type Ticket } from "./tickets-store.js";
import { transitionProblem, type TicketStatus } from "./vocabulary.js";

// The writes a domain above tickets makes on a ticket it drives (resets, on its reset ticket),
// each in the caller's transaction, which also holds that domain's own rows and audit entry.

/** Opens a ticket (status `new`) with the requester's first message as its first public reply. */
export async function openTicketWith(trx: Knex.Transaction, ticket: NewTicket, firstMessage: string, now: Date): Promise<number> {
  const id = await insertTicket(trx, ticket, now);
  await insertEvent(trx, { ticketId: id, authorId: ticket.requesterId, kind: "reply", visibility: "public", body: firstMessage }, now);
  return id;
}

/** Adds an entry to the ticket's timeline (a step of the request, a system line) and marks the ticket active. */
export function addTimelineEntry(trx: Knex.Transaction, event: NewEvent, now: Date): Promise<number> {
  return insertEvent(trx, event, now);
}

/**
 * Moves the (locked) ticket to the status its driver's state implies, when it is not there
 * already. A move the status table refuses is a fault in the driver's table, so it throws
 * rather than leave the ticket behind unnoticed.
 */
export async function followStatus(trx: Knex.Transaction, ticket: Ticket, to: TicketStatus, now: Date): Promise<void> {
  if (ticket.status === to) return;
  const problem = transitionProblem(ticket.status, to);
  if (problem) throw new Error(`Ticket ${ticket.id} cannot follow to ${to}: ${problem}`);
  await updateTicketStatus(trx, ticket, to, now);
}
