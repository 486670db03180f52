import type { Knex } from "knex";
import { asDate, insertReturningId, type Db } from "../shared/db.js";
import type { TicketClock } from "./sla-clock.js";
import type { EventKind, TicketPriority, TicketStatus, TicketType, Visibility } from "./vocabulary.js";

/** A ticket and its SLA clocks (sla-clock.ts). */
export interface Ticket extends TicketClock {
  id: number;
  accountId: number;
  requesterId: number;
  type: TicketType;
  subject: string;
  status: TicketStatus;
  priority: TicketPriority;
  assigneeId: number | null;
  createdAt: Date;
  updatedAt: Date;
  resolvedAt: Date | null;
  closedAt: Date | null;
}

export interface TicketEvent {
  id: number;
  ticketId: number;
  authorId: number | null;
  kind: EventKind;
  visibility: Visibility;
  body: string | null;
  data: Record<string, unknown> | null;
  createdAt: Date;
}

type Row = Record<string, unknown>;
type Conn = Db | Knex.Transaction;

const toTicket = (r: Row): Ticket => ({
  id: Number(r.id),
  accountId: Number(r.account_id),
  requesterId: Number(r.requester_id),
  type: r.type as TicketType,
  subject: r.subject as string,
  status: r.status as TicketStatus,
  priority: r.priority as TicketPriority,
  assigneeId: r.assignee_id === null || r.assignee_id === undefined ? null : Number(r.assignee_id),
  createdAt: asDate(r.created_at)!,
  updatedAt: asDate(r.updated_at)!,
  resolvedAt: asDate(r.resolved_at),
  closedAt: asDate(r.closed_at),
  firstResponseDueAt: asDate(r.first_response_due_at),
  firstRespondedAt: asDate(r.first_responded_at),
  resolutionDueAt: asDate(r.resolution_due_at),
  slaPausedAt: asDate(r.sla_paused_at),
  slaPausedMs: Number(r.sla_paused_ms ?? 0),
  dueAt: asDate(r.due_at),
});

/** The clock's columns, to write with the ticket's other fields. */
const clockColumns = (c: TicketClock): Row => ({
  first_response_due_at: c.firstResponseDueAt,
  first_responded_at: c.firstRespondedAt,
  resolution_due_at: c.resolutionDueAt,
  sla_paused_at: c.slaPausedAt,
  sla_paused_ms: c.slaPausedMs,
  due_at: c.dueAt,
});

export interface NewTicket {
  accountId: number;
  requesterId: number;
  type: TicketType;
  subject: string;
  priority?: TicketPriority;
}

/** Creates a ticket with status `new`, its clocks started, and keeps the per-status counts in step. */
export async function insertTicket(trx: Knex.Transaction, ticket: NewTicket, clock: TicketClock, now: Date): Promise<number> {
  const id = await insertReturningId(trx, "tickets", {
    account_id: ticket.accountId,
    requester_id: ticket.requesterId,
    type: ticket.type,
    subject: ticket.subject,
    status: "new",
    priority: ticket.priority ?? "normal",
    created_at: now,
    updated_at: now,
    ...clockColumns(clock),
  });
  await trx("ticket_status_counts").where({ status: "new" }).increment("n", 1);
  return id;
}

export async function findTicket(db: Conn, id: number): Promise<Ticket | null> {
  const row: unknown = await db("tickets").where({ id }).first();
  return row ? toTicket(row as Row) : null;
}

/**
 * The account's tickets not closed other than `exceptId`, newest activity first, at most
 * `limit`: the index (account_id, updated_at, id) serves it in one query.
 */
export async function openTicketsOfAccount(db: Conn, accountId: number, exceptId: number, limit: number): Promise<Ticket[]> {
  const rows: unknown = await db("tickets")
    .where({ account_id: accountId })
    .andWhere("id", "<>", exceptId)
    .andWhere("status", "<>", "closed")
    .orderBy([{ column: "updated_at", order: "desc" }, { column: "id", order: "desc" }])
    .limit(limit);
  return (rows as Row[]).map(toTicket);
}

/** The ticket, locked for the rest of the transaction on PostgreSQL (SQLite has one writer). */
export async function findTicketForUpdate(trx: Knex.Transaction, id: number): Promise<Ticket | null> {
  const row: unknown = await trx("tickets").where({ id }).forUpdate().first();
  return row ? toTicket(row as Row) : null;
}

/** Moves the ticket's status (the caller has checked the move) with its clocks, and keeps the counts in step. */
export async function updateTicketStatus(trx: Knex.Transaction, ticket: Ticket, to: TicketStatus, clock: TicketClock, now: Date): Promise<void> {
  const times: Row = {};
  if (to === "resolved") times.resolved_at = now;
  if (to === "closed") times.closed_at = now;
  if (to !== "resolved" && to !== "closed") Object.assign(times, { resolved_at: null, closed_at: null });
  await trx("tickets").where({ id: ticket.id }).update({ status: to, updated_at: now, ...times, ...clockColumns(clock) });
  await trx("ticket_status_counts").where({ status: ticket.status }).decrement("n", 1);
  await trx("ticket_status_counts").where({ status: to }).increment("n", 1);
}

export async function updateTicketFields(trx: Knex.Transaction, id: number, fields: { assignee_id?: number | null; priority?: TicketPriority }, now: Date): Promise<void> {
  await trx("tickets").where({ id }).update({ ...fields, updated_at: now });
}

export async function updateTicketClock(trx: Knex.Transaction, id: number, clock: TicketClock): Promise<void> {
  await trx("tickets").where({ id }).update(clockColumns(clock));
}

export interface NewEvent {
  ticketId: number;
  authorId: number | null;
  kind: EventKind;
  visibility: Visibility;
  body?: string | null;
  data?: Record<string, unknown> | null;
}

/** Appends to the ticket's timeline and marks the ticket as active now. */
export async function insertEvent(trx: Knex.Transaction, event: NewEvent, now: Date): Promise<number> {
  const id = await insertReturningId(trx, "ticket_events", {
    ticket_id: event.ticketId,
    author_id: event.authorId,
    kind: event.kind,
    visibility: event.visibility,
    body: event.body ?? null,
    data: event.data ? JSON.stringify(event.data) : null,
    created_at: now,
  });
  await trx("tickets").where({ id: event.ticketId }).update({ updated_at: now });
  return id;
}

/** Which of these ids name tickets (for a bulk change, checked before anything is written). */
export async function existingTicketIds(db: Conn, ids: readonly number[]): Promise<Set<number>> {
  const rows = await db("tickets").whereIn("id", ids).select<Row[]>("id");
  return new Set(rows.map((r) => Number(r.id)));
}
