import type { Knex } from "knex";
import { transitionProblem, type EventKind, type TicketStatus } from "./vocabulary.js";
import { auditedBy, type Actor } from "../shared/actor.js";
import { appendAudit } from "../platform/audit/audit-log.js";
import { clockOnStatus } from "./sla-clock.js";
import { startClock } from "./sla-service.js";
import { insertEvent, insertTicket, updateTicketFields, updateTicketStatus, type NewTicket, type Ticket } from "./tickets-store.js";

// The steps a higher domain takes on a ticket it drives (a reset request's ticket), each in
// that domain's own transaction: it never writes tickets' tables through their store.

/** Opens a ticket (status `new`, its clocks started) with its first public message. */
export async function openTicketWith(trx: Knex.Transaction, ticket: NewTicket, first: { authorId: number; body: string }, now: Date): Promise<number> {
  const ticketId = await insertTicket(trx, ticket, await startClock(trx, ticket, now), now);
  await insertEvent(trx, { ticketId, authorId: first.authorId, kind: "reply", visibility: "public", body: first.body }, now);
  return ticketId;
}

/**
 * Moves the (locked) ticket to `to`, unless it is there already. A move the status table
 * refuses is a bug of the caller, never a step to skip quietly: it throws, and the
 * caller's transaction writes nothing.
 */
export async function moveTicketTo(trx: Knex.Transaction, ticket: Ticket, to: TicketStatus, now: Date): Promise<void> {
  if (ticket.status === to) return;
  const problem = transitionProblem(ticket.status, to);
  if (problem) throw new Error(`Ticket #${ticket.id} cannot follow to ${to}: ${problem}`);
  await updateTicketStatus(trx, ticket, to, clockOnStatus(ticket, to, now), now);
}

/** One step on the timeline: public words the customer sees, internal details for staff; either may be absent. */
export interface TimelineStep {
  authorId: number | null;
  kind: EventKind;
  publicText?: string | null;
  internalText?: string | null;
  /** Kept with the internal entry. */
  data?: Record<string, unknown> | null;
}

export async function recordOnTimeline(trx: Knex.Transaction, ticketId: number, step: TimelineStep, now: Date): Promise<void> {
  const { authorId, kind } = step;
  if (step.publicText) await insertEvent(trx, { ticketId, authorId, kind, visibility: "public", body: step.publicText }, now);
  if (step.internalText) await insertEvent(trx, { ticketId, authorId, kind, visibility: "internal", body: step.internalText, data: step.data ?? null }, now);
}

/**
 * Writes an assignment of the (locked) ticket, already checked: the assignee, the internal
 * timeline entry naming who it was and who it is, and the audit. `assignee` null unassigns.
 */
export async function writeAssignment(trx: Knex.Transaction, actor: Actor, ticket: Ticket, assignee: { id: number; username: string } | null, previous: string | null, now: Date): Promise<void> {
  await updateTicketFields(trx, ticket.id, { assignee_id: assignee?.id ?? null }, now);
  const change = { from: previous, to: assignee?.username ?? null };
  await insertEvent(trx, { ticketId: ticket.id, authorId: actor.id, kind: "assignment", visibility: "internal", data: change }, now);
  await appendAudit(trx, { ...auditedBy(actor), action: "ticket.assigned", subject: `ticket:${ticket.id}`, details: { ...change, toId: assignee?.id ?? null } }, now);
}
