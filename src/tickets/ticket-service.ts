import type { Actor } from "../shared/actor.js";
import type { Knex } from "knex";
import { isStaff } from "../shared/roles.js";
import { appendAudit } from "../platform/audit/audit-log.js";
import type { MailingDeps } from "../platform/mail/mailer.js";
import { enqueue } from "../platform/mail/outbox-store.js";
import { done, NOT_THERE, refused, Refusal, type Result } from "../shared/problems.js";
import { findLoginSummary, type LoginSummary } from "../identity/index.js";
import { filesRefusedOn, storeFiles, type CheckedFile } from "./attachments.js";
import { noticeNewTicket } from "./new-ticket-notice.js";
import { replyAddressFor } from "./reply-tokens.js";
import { ticketMail, type MailRecipient } from "./ticket-mail.js";
import { writeAssignment } from "./ticket-steps.js";
import { STATUS_LABELS, transitionProblem, type TicketPriority, type TicketStatus, type TicketType } from "./vocabulary.js";
import { clockForPriority, clockOnAgentReply, clockOnStatus } from "./sla-clock.js";
import { startClock } from "./sla-service.js";
import { findSlaTarget } from "./sla-store.js";
import { findTicketForUpdate, insertEvent, insertTicket, updateTicketClock, updateTicketFields, updateTicketStatus, type Ticket } from "./tickets-store.js";

export type TicketDeps = MailingDeps;

const RESET_STATUS_PROBLEM = "This ticket follows its reset request: its status moves with each step of the request, on its ticket page.";
const CLOSED_REPLY_PROBLEM = "This ticket is closed and takes no more replies; open a new ticket instead.";

const audit = (trx: Knex.Transaction, actor: Actor, action: string, ticketId: number, details: Record<string, unknown>, now: Date) =>
  appendAudit(trx, { actorId: actor.id, actor: actor.username, ip: actor.ip, action, subject: `ticket:${ticketId}`, details }, now);

/** Runs `work` on the ticket, locked, inside one transaction; a ticket that vanished is a 404. */
async function withTicket(deps: TicketDeps, ticketId: number, work: (trx: Knex.Transaction, ticket: Ticket, now: Date) => Promise<Result>): Promise<Result> {
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    const ticket = await findTicketForUpdate(trx, ticketId);
    if (!ticket) throw new Refusal("missing", NOT_THERE);
    return work(trx, ticket, now);
  });
}

/** The requester's address and name, when they have an address to mail, with this mail's reply address. */
async function requesterOf(trx: Knex.Transaction, deps: TicketDeps, ticket: Ticket, now: Date): Promise<MailRecipient | null> {
  const person = await findLoginSummary(trx, ticket.requesterId);
  if (!person?.email) return null;
  return { email: person.email, displayName: person.displayName, replyTo: await replyAddressFor(trx, deps.mailer.sender, ticket, person.id, now) };
}

/** An active agent or admin: the only logins a ticket may be assigned to. */
export const isActiveStaff = (p: LoginSummary | null): p is LoginSummary => p !== null && !p.disabled && isStaff(p.role);

/** Moves the status (the move already checked) and its clocks, with its timeline event and audit entry. */
async function moveStatus(trx: Knex.Transaction, deps: TicketDeps, actor: Actor, ticket: Ticket, to: TicketStatus, now: Date, reason: string): Promise<void> {
  await updateTicketStatus(trx, ticket, to, clockOnStatus(ticket, to, now), now);
  await insertEvent(trx, { ticketId: ticket.id, authorId: actor.id, kind: "status", visibility: "public", data: { from: ticket.status, to } }, now);
  await audit(trx, actor, "ticket.status_changed", ticket.id, { from: ticket.status, to, reason }, now);
  if (to === "resolved") {
    const requester = await requesterOf(trx, deps, ticket, now);
    if (requester) await enqueue(trx, await ticketMail(deps.mailer, deps.clock, ticket, requester, { template: "ticket-resolved" }), now);
  }
}

/**
 * A customer opens a ticket: the ticket, its first public message, the audit entry and the
 * mail to staff who asked for new tickets, together.
 */
export async function createTicket(deps: TicketDeps, actor: Actor, input: { type: Exclude<TicketType, "primary_reset">; subject: string; body: string }, files: readonly CheckedFile[] = []): Promise<number> {
  if (actor.accountId === null) throw new Refusal("forbidden", "Only customer logins open tickets here.");
  const accountId = actor.accountId;
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    const ticket = { accountId, requesterId: actor.id, type: input.type, subject: input.subject };
    const id = await insertTicket(trx, ticket, await startClock(trx, ticket, now), now);
    const eventId = await insertEvent(trx, { ticketId: id, authorId: actor.id, kind: "reply", visibility: "public", body: input.body }, now);
    await audit(trx, actor, "ticket.created", id, { type: input.type, accountId, subject: input.subject }, now);
    // Never a reset ticket (those open from the reset request), so no reset check for its files.
    await storeFiles(trx, actor, id, eventId, false, files, now);
    await noticeNewTicket(trx, deps, id, input.body, now);
    return id;
  });
}

/** The requester side replies; a resolved ticket, or one waiting for the customer, opens again. */
export function addCustomerReply(deps: TicketDeps, actor: Actor, ticketId: number, body: string, files: readonly CheckedFile[] = []): Promise<Result> {
  return withTicket(deps, ticketId, async (trx, ticket, now) => {
    if (ticket.status === "closed") return refused({ body: CLOSED_REPLY_PROBLEM });
    const refusal = filesRefusedOn(ticket, files);
    if (!refusal.ok) return refusal;
    const eventId = await insertEvent(trx, { ticketId: ticket.id, authorId: actor.id, kind: "reply", visibility: "public", body }, now);
    await storeFiles(trx, actor, ticket.id, eventId, false, files, now);
    // A reset request's status belongs to the resets feature; a reply does not move it.
    const reopens = ticket.type !== "primary_reset" && (ticket.status === "resolved" || ticket.status === "pending_customer");
    if (reopens) await moveStatus(trx, deps, actor, ticket, "open", now, "customer reply");
    return done();
  });
}

/** An agent's public reply: on the timeline and mailed to the requester (exactly one mail); the first meets the first-response clock. */
export function addAgentReply(deps: TicketDeps, actor: Actor, ticketId: number, body: string, files: readonly CheckedFile[] = []): Promise<Result> {
  return withTicket(deps, ticketId, async (trx, ticket, now) => {
    if (ticket.status === "closed") return refused({ body: CLOSED_REPLY_PROBLEM });
    const refusal = filesRefusedOn(ticket, files);
    if (!refusal.ok) return refusal;
    const eventId = await insertEvent(trx, { ticketId: ticket.id, authorId: actor.id, kind: "reply", visibility: "public", body }, now);
    await storeFiles(trx, actor, ticket.id, eventId, false, files, now);
    const clock = clockOnAgentReply(ticket, now);
    if (clock) await updateTicketClock(trx, ticket.id, clock);
    const requester = await requesterOf(trx, deps, ticket, now);
    if (requester) {
      const mail = await ticketMail(deps.mailer, deps.clock, ticket, requester, { template: "ticket-reply", reply: { body, author: `${actor.displayName} (support)` } });
      await enqueue(trx, mail, now);
    }
    return done();
  });
}

/** An internal note: staff only, never shown to or mailed to the customer. */
export function addNote(deps: TicketDeps, actor: Actor, ticketId: number, body: string, files: readonly CheckedFile[] = []): Promise<Result> {
  return withTicket(deps, ticketId, async (trx, ticket, now) => {
    const refusal = filesRefusedOn(ticket, files);
    if (!refusal.ok) return refusal;
    const eventId = await insertEvent(trx, { ticketId: ticket.id, authorId: actor.id, kind: "note", visibility: "internal", body }, now);
    await storeFiles(trx, actor, ticket.id, eventId, true, files, now);
    return done();
  });
}

/** Assigns the ticket to an active agent or admin, or (null) to nobody. */
export function assignTicket(deps: TicketDeps, actor: Actor, ticketId: number, assigneeId: number | null): Promise<Result> {
  return withTicket(deps, ticketId, async (trx, ticket, now) => {
    const assignee = assigneeId === null ? null : await findLoginSummary(trx, assigneeId);
    if (assigneeId !== null && !isActiveStaff(assignee)) return refused({ assignee_id: "There is no active agent with that id; choose one from the list." });
    if ((assignee?.id ?? null) === ticket.assigneeId) return refused({ assignee_id: assignee ? `The ticket is already assigned to ${assignee.username}.` : "The ticket is already unassigned." });
    const previous = ticket.assigneeId === null ? null : ((await findLoginSummary(trx, ticket.assigneeId))?.username ?? null);
    await writeAssignment(trx, actor, ticket, assignee, previous, now);
    return done();
  });
}

/** An agent moves the status through the state machine; a reset request's status is not theirs to move here. */
export function changeStatus(deps: TicketDeps, actor: Actor, ticketId: number, to: TicketStatus): Promise<Result> {
  return withTicket(deps, ticketId, async (trx, ticket, now) => {
    if (ticket.type === "primary_reset") return refused({ status: RESET_STATUS_PROBLEM });
    const problem = transitionProblem(ticket.status, to);
    if (problem) return refused({ status: problem });
    await moveStatus(trx, deps, actor, ticket, to, now, `set to ${STATUS_LABELS[to].toLowerCase()} by an agent`);
    return done();
  });
}

/** A new priority, and the due times of its targets (counted from the opening). */
export function changePriority(deps: TicketDeps, actor: Actor, ticketId: number, to: TicketPriority): Promise<Result> {
  return withTicket(deps, ticketId, async (trx, ticket, now) => {
    if (ticket.priority === to) return refused({ priority: `The priority is already ${to}.` });
    await updateTicketFields(trx, ticket.id, { priority: to }, now);
    await updateTicketClock(trx, ticket.id, clockForPriority(ticket, await findSlaTarget(trx, to)));
    await insertEvent(trx, { ticketId: ticket.id, authorId: actor.id, kind: "priority", visibility: "internal", data: { from: ticket.priority, to } }, now);
    return done();
  });
}
