import type { Knex } from "knex";
import { appendAudit } from "../platform/audit/audit-log.js";
import { insertEvent, transitionProblem, updateTicketStatus, type EventKind, type Ticket, type TicketStatus } from "../tickets/index.js";

/** One step of a reset on its ticket: the timeline entry (public words, internal details) and the audit. */
export interface ResetStep {
  kind: EventKind;
  actor: { id: number | null; username: string | null; ip: string | null };
  action: string;
  /** Plain words the customer may see; null keeps the step internal. */
  publicText: string | null;
  internalText?: string | null;
  details?: Record<string, unknown>;
}

/** Writes a step to the ticket's timeline and the audit log, in the caller's transaction. */
export async function recordStep(trx: Knex.Transaction, ticketId: number, step: ResetStep, now: Date): Promise<void> {
  const authorId = step.actor.id;
  if (step.publicText) await insertEvent(trx, { ticketId, authorId, kind: step.kind, visibility: "public", body: step.publicText }, now);
  if (step.internalText) await insertEvent(trx, { ticketId, authorId, kind: step.kind, visibility: "internal", body: step.internalText, data: step.details ?? null }, now);
  await appendAudit(trx, { action: step.action, actorId: authorId, actor: step.actor.username, ip: step.actor.ip, subject: `ticket:${ticketId}`, details: step.details ?? {} }, now);
}

/** Moves the (locked) ticket to the status the reset's state implies, when it is not there already. */
export async function followTicket(trx: Knex.Transaction, ticket: Ticket, to: TicketStatus, now: Date): Promise<void> {
  if (ticket.status !== to && transitionProblem(ticket.status, to) === null) await updateTicketStatus(trx, ticket, to, now);
}
