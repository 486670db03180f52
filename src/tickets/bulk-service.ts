import type { Actor } from "../shared/actor.js";
import { done, refused, type Result } from "../shared/problems.js";
import { findLoginSummary } from "../identity/index.js";
import { PAGE_SIZE } from "./queue-store.js";
import { assignTicket, changeStatus, isActiveStaff, type TicketDeps } from "./ticket-service.js";
import { existingTicketIds } from "./tickets-store.js";
import { STATUS_LABELS, type TicketStatus } from "./vocabulary.js";

// One action applied to many tickets from the queue: each ticket goes through the same service
// as its own page (its own transaction, audit and status-table check), so a ticket the rule
// refuses is left alone and named in the summary while the others change.

/** At most one page of the queue at once: all the page can select. */
export const BULK_MAX = PAGE_SIZE;

/** Who the tickets go to: the actor, nobody, or an agent's id. */
export type BulkAssignee = "me" | "unassigned" | number;
export type BulkChange = { action: "assign"; assignee: BulkAssignee } | { action: "status"; status: TicketStatus };

export interface BulkSummary {
  changed: number[];
  refused: { ticketId: number; reason: string }[];
  /** What was done to the changed ones, in words: "assigned to bob", "set to Resolved". */
  what: string;
}

/** The assignee's id and name, or a refusal naming the field when there is no such active agent. */
async function resolveAssignee(deps: TicketDeps, actor: Actor, assignee: BulkAssignee): Promise<Result<{ id: number; username: string } | null>> {
  if (assignee === "unassigned") return done(null);
  if (assignee === "me") return done({ id: actor.id, username: actor.username });
  const login = await findLoginSummary(deps.db, assignee);
  return isActiveStaff(login) ? done({ id: login.id, username: login.username }) : refused({ assignee_id: "There is no active agent with that id; choose one from the list." });
}

/**
 * Applies the change to each ticket in turn, collecting the refusals. An id that names no
 * ticket, or an assignee who is no active agent, refuses the whole request before anything
 * is written: the form offers neither, so it is a stale or forged form, not one ticket's case.
 */
export async function applyBulkChange(deps: TicketDeps, actor: Actor, ticketIds: readonly number[], change: BulkChange): Promise<Result<BulkSummary>> {
  const known = await existingTicketIds(deps.db, ticketIds);
  const unknown = ticketIds.filter((id) => !known.has(id));
  if (unknown.length > 0) return refused({ ticket_ids: `There is no ticket ${unknown.map((id) => `#${id}`).join(", ")}; reload the queue and select again.` });

  let run: (ticketId: number) => Promise<Result>;
  let what: string;
  if (change.action === "assign") {
    const assignee = await resolveAssignee(deps, actor, change.assignee);
    if (!assignee.ok) return assignee;
    const to = assignee.value;
    run = (id) => assignTicket(deps, actor, id, to?.id ?? null);
    what = to ? `assigned to ${to.username}` : "unassigned";
  } else {
    run = (id) => changeStatus(deps, actor, id, change.status);
    what = `set to ${STATUS_LABELS[change.status]}`;
  }

  const summary: BulkSummary = { changed: [], refused: [], what };
  for (const ticketId of ticketIds) {
    const result = await run(ticketId);
    if (result.ok) summary.changed.push(ticketId);
    else summary.refused.push({ ticketId, reason: Object.values(result.problems)[0]! });
  }
  return done(summary);
}

const tickets = (n: number) => `${n} ${n === 1 ? "ticket" : "tickets"}`;

/** "3 tickets assigned to bob; 1 refused. #12: A closed ticket cannot change status; …" */
export function bulkSummaryText(summary: BulkSummary): string {
  const changed = summary.changed.length > 0 ? `${tickets(summary.changed.length)} ${summary.what}` : "No ticket changed";
  if (summary.refused.length === 0) return `${changed}.`;
  const reasons = summary.refused.map((r) => `#${r.ticketId}: ${r.reason}`).join(" ");
  return `${changed}; ${summary.refused.length} refused. ${reasons}`;
}
