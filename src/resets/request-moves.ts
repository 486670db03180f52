import type { Knex } from "knex";
import { auditedBy, type Actor } from "../shared/actor.js";
import { appendAudit } from "../platform/audit/audit-log.js";
import { findTicketForUpdate, moveTicketTo, recordOnTimeline, type EventKind, type Ticket } from "../tickets/index.js";
import { NOT_THERE, Refusal } from "../shared/problems.js";
import type { ResetDeps } from "./request-service.js";
import { findRequestByTicket, updateRequestState, type ResetRequest } from "./reset-store.js";
import { RESET_MOVES, type ResetMove } from "./vocabulary.js";

/**
 * Who takes a step: a signed-in login; someone known only by the address a mailed link was
 * opened from (an objection); or null, the desk itself (expiry, redemption, a failed delivery).
 */
export type StepBy = Actor | { linkFrom: string | null } | null;

/** One step of a reset on its ticket: the timeline entry (public words, internal details) and the audit. */
export interface ResetStep {
  kind: EventKind;
  by: StepBy;
  action: string;
  /** Plain words the customer may see; null keeps the step internal. */
  publicText: string | null;
  internalText?: string | null;
  details?: Record<string, unknown>;
}

/** A request and its ticket, locked for the rest of the transaction. */
export interface LockedRequest {
  request: ResetRequest;
  ticket: Ticket;
}

const loginOf = (by: StepBy): Actor | null => (by && "id" in by ? by : null);

/** Writes a step to the ticket's timeline and the audit log, in the caller's transaction. */
export async function recordStep(trx: Knex.Transaction, ticketId: number, step: ResetStep, now: Date): Promise<void> {
  const login = loginOf(step.by);
  const audited = step.by && "linkFrom" in step.by ? { actorId: null, actor: null, ip: step.by.linkFrom } : auditedBy(login);
  await recordOnTimeline(trx, ticketId, { authorId: login?.id ?? null, kind: step.kind, publicText: step.publicText, internalText: step.internalText, data: step.details ?? null }, now);
  await appendAudit(trx, { action: step.action, ...audited, subject: `ticket:${ticketId}`, details: step.details ?? {} }, now);
}

/**
 * Takes one move of the state table (vocabulary.ts) with all it implies, in the caller's
 * transaction: the request's state (only from the move's `from` state, with `fields`), then
 * `consequences` (the writes that must not happen if the move lost a race: the temporary
 * password and its mail, or their end), the ticket following to its status (a move its table
 * refuses throws), and the step on the timeline and in the audit log. False, with nothing
 * written, when the request is no longer in the `from` state.
 */
export async function moveRequest(
  trx: Knex.Transaction,
  { request, ticket }: LockedRequest,
  move: ResetMove,
  /** `step` is the step to record, or a function that first writes the move's consequences and then says the step. */
  change: { fields?: Record<string, unknown>; step: ResetStep | (() => Promise<ResetStep>) },
  now: Date,
): Promise<boolean> {
  if (!(await updateRequestState(trx, request.id, move, change.fields ?? {}, now))) return false;
  const step = typeof change.step === "function" ? await change.step() : change.step;
  await moveTicketTo(trx, ticket, RESET_MOVES[move].ticket, now);
  await recordStep(trx, request.ticketId, step, now);
  return true;
}

/** The ticket's request, with the ticket locked first, as every reset step takes them; null for none. */
export async function lockRequest(trx: Knex.Transaction, ticketId: number): Promise<LockedRequest | null> {
  const ticket = await findTicketForUpdate(trx, ticketId);
  const request = ticket ? await findRequestByTicket(trx, ticketId) : null;
  return ticket && request ? { request, ticket } : null;
}

/** Not a reset request's ticket: the same 404 as a ticket that is not there. */

/** Runs `work` on the ticket's reset request inside one transaction, the ticket locked; no such request is a `missing` refusal (404). */
export async function withLockedRequest<T>(deps: ResetDeps, ticketId: number, work: (trx: Knex.Transaction, locked: LockedRequest) => Promise<T>): Promise<T> {
  return deps.db.transaction(async (trx) => {
    const locked = await lockRequest(trx, ticketId);
    if (!locked) throw new Refusal("missing", NOT_THERE);
    return work(trx, locked);
  });
}
