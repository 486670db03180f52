// The SLA clocks of a ticket, as rules over its row (no queries here): when the first response
// and the resolution are due, how waiting for the customer stops them, and where a running due
// time stands now. CONTEXT.md says the words; sla-service.ts writes them in each ticket write.
import type { TicketPriority, TicketStatus, TicketType } from "./vocabulary.js";

const MINUTE = 60_000;

/** One priority's targets, in minutes (first response never longer than resolution). */
export interface SlaTarget {
  firstResponseMinutes: number;
  resolutionMinutes: number;
}
export type SlaTargets = Record<TicketPriority, SlaTarget>;

/** A ticket's clocks, as kept on its row. */
export interface TicketClock {
  firstResponseDueAt: Date | null;
  firstRespondedAt: Date | null;
  /** For a reset ticket: when the decision (approval or rejection) is due. */
  resolutionDueAt: Date | null;
  /** Since when the clocks stand still; null while they run. */
  slaPausedAt: Date | null;
  /** How long they have stood still before, in all: every due time is that much later. */
  slaPausedMs: number;
  /** The next due time still running; null when none is (met, stopped or closed). */
  dueAt: Date | null;
}

/** What the rules read of a ticket besides its clocks. */
export interface ClockedTicket extends TicketClock {
  type: TicketType;
  status: TicketStatus;
  createdAt: Date;
}

/**
 * The clocks stand still while the ticket waits for the customer (the time does not count) and
 * while it is resolved (until a reply reopens it). A reset ticket waits for the customer only
 * after its decision, so its clock has then stopped for good: it never comes back to open.
 */
const STOPPED: readonly TicketStatus[] = ["pending_customer", "resolved"];

const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);

/**
 * A reset ticket has no first-response clock: its steps (callbacks, decision) are the desk's
 * answer, and its target covers the time to decision.
 */
const hasFirstResponseClock = (type: TicketType) => type !== "primary_reset";

/** The earlier of the due times still owed, unless the clocks stand still or the ticket is closed. */
function runningDue(clock: Omit<TicketClock, "dueAt">, status: TicketStatus): Date | null {
  if (status === "closed" || clock.slaPausedAt !== null) return null;
  const owed = [clock.firstRespondedAt === null ? clock.firstResponseDueAt : null, clock.resolutionDueAt].filter((d): d is Date => d !== null);
  return owed.length === 0 ? null : new Date(Math.min(...owed.map((d) => d.getTime())));
}

const withDue = (clock: Omit<TicketClock, "dueAt">, status: TicketStatus): TicketClock => ({ ...clock, dueAt: runningDue(clock, status) });

/** Due times from `from` (the opening) with the targets, moved out by the time stood still. */
function dueTimes(type: TicketType, target: SlaTarget, from: Date, pausedMs: number) {
  return {
    firstResponseDueAt: hasFirstResponseClock(type) ? plus(from, target.firstResponseMinutes * MINUTE + pausedMs) : null,
    resolutionDueAt: plus(from, target.resolutionMinutes * MINUTE + pausedMs),
  };
}

/** The clocks of a ticket opened now (status `new`). */
export function clockAtOpening(type: TicketType, target: SlaTarget, now: Date): TicketClock {
  return withDue({ ...dueTimes(type, target, now, 0), firstRespondedAt: null, slaPausedAt: null, slaPausedMs: 0 }, "new");
}

/** A new priority: the due times as if the ticket had had it from its opening (time stood still still does not count). */
export function clockForPriority(ticket: ClockedTicket, target: SlaTarget): TicketClock {
  return withDue({ ...ticket, ...dueTimes(ticket.type, target, ticket.createdAt, ticket.slaPausedMs) }, ticket.status);
}

/** An agent's public reply: the first one meets the first-response clock; null when it was met already. */
export function clockOnAgentReply(ticket: ClockedTicket, now: Date): TicketClock | null {
  if (ticket.firstRespondedAt !== null) return null;
  return withDue({ ...ticket, firstRespondedAt: now }, ticket.status);
}

/**
 * A move of status: into a stopped status the clocks stop; out of one (back to open) they run
 * again with every due time still owed moved out by the time stood still.
 */
export function clockOnStatus(ticket: ClockedTicket, to: TicketStatus, now: Date): TicketClock {
  const clock: TicketClock = { ...pickClock(ticket) };
  const stops = STOPPED.includes(to);
  if (stops && clock.slaPausedAt === null) clock.slaPausedAt = now;
  if (!stops && to !== "closed" && clock.slaPausedAt !== null) {
    const stood = now.getTime() - clock.slaPausedAt.getTime();
    clock.slaPausedMs += stood;
    if (clock.firstRespondedAt === null && clock.firstResponseDueAt) clock.firstResponseDueAt = plus(clock.firstResponseDueAt, stood);
    if (clock.resolutionDueAt) clock.resolutionDueAt = plus(clock.resolutionDueAt, stood);
    clock.slaPausedAt = null;
  }
  return withDue(clock, to);
}

function pickClock(t: TicketClock): TicketClock {
  const { firstResponseDueAt, firstRespondedAt, resolutionDueAt, slaPausedAt, slaPausedMs, dueAt } = t;
  return { firstResponseDueAt, firstRespondedAt, resolutionDueAt, slaPausedAt, slaPausedMs, dueAt };
}

/** Which clock a running due time is: the first response, the resolution, or a reset's decision. */
export type DueClock = "first_response" | "resolution" | "decision";

/** A running due time now: overdue, due soon (within a quarter of its clock's target), or on time. */
export interface DueStanding {
  state: "overdue" | "soon" | "on_time";
  clock: DueClock;
  dueAt: Date;
  /** Until the due time (negative once overdue). */
  remainingMs: number;
}

/** "Due soon" starts when less than this share of the clock's target is left. */
export const DUE_SOON_SHARE = 0.25;

/** Where the ticket's running due time stands at `now`; null when no clock runs. */
export function dueStanding(ticket: { type: TicketType; priority: TicketPriority; dueAt: Date | null; firstRespondedAt: Date | null }, targets: SlaTargets, now: Date): DueStanding | null {
  if (!ticket.dueAt) return null;
  const clock: DueClock = !hasFirstResponseClock(ticket.type) ? "decision" : ticket.firstRespondedAt === null ? "first_response" : "resolution";
  const target = targets[ticket.priority];
  const targetMs = (clock === "first_response" ? target.firstResponseMinutes : target.resolutionMinutes) * MINUTE;
  const remainingMs = ticket.dueAt.getTime() - now.getTime();
  const state = remainingMs <= 0 ? "overdue" : remainingMs <= targetMs * DUE_SOON_SHARE ? "soon" : "on_time";
  return { state, clock, dueAt: ticket.dueAt, remainingMs };
}
