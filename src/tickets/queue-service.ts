import type { Actor } from "../shared/actor.js";
import type { Db } from "../shared/db.js";
import { done, refused, type Problems, type Result } from "../shared/problems.js";
import { findAccountByCode } from "../accounts/index.js";
import { loginIdsByUsername } from "../identity/index.js";
import { ticketNumberIn, type TicketStatus, type TicketType } from "./vocabulary.js";
import { queuePage, type Cursor, type QueueFilter, type QueuePage } from "./queue-store.js";

/** What the desk asked the queue for, each value already checked by its form (web/ticket-forms.ts). */
export interface QueueQuery {
  status?: TicketStatus;
  type?: TicketType;
  /** `me`, `unassigned`, `any` or an agent's id. */
  assignee?: string;
  /** An account code, upper case. */
  account?: string;
  q?: string;
  after?: Cursor;
}

/**
 * Turns the desk's checked query into a store filter: resolves `me`, an agent id and an account
 * code, and splits `q` into a ticket number or text. Unknown names are problems, not empty pages.
 */
export async function deskQueue(db: Db, viewer: Actor, staff: readonly { id: number }[], query: QueueQuery): Promise<Result<QueuePage>> {
  const filter: QueueFilter = { status: query.status, type: query.type, after: query.after };
  const problems: Problems = {};
  if (query.assignee === "me") filter.assigneeId = viewer.id;
  else if (query.assignee === "unassigned") filter.assigneeId = null;
  else if (query.assignee && query.assignee !== "any") {
    const id = Number(query.assignee);
    if (staff.some((s) => s.id === id)) filter.assigneeId = id;
    else problems.assignee = "There is no agent with that id; choose one from the list.";
  }
  if (query.account) {
    const account = await findAccountByCode(db, query.account);
    if (account) filter.accountId = account.id;
    else problems.account = `There is no account with code ${query.account}.`;
  }
  if (query.q) {
    const number = ticketNumberIn(query.q);
    filter.text = number !== null ? { number } : { text: query.q, requesterIds: await loginIdsByUsername(db, query.q) };
  }
  if (Object.keys(problems).length > 0) return refused(problems);
  return done(await queuePage(db, filter));
}

/** A customer's list: a secondary login's own tickets, or (primary) all of its account's. */
export function customerTickets(db: Db, viewer: Actor, after: QueueFilter["after"]): Promise<QueuePage> {
  const scope: QueueFilter = viewer.role === "primary" ? { accountId: viewer.accountId! } : { requesterId: viewer.id };
  return queuePage(db, { ...scope, after });
}
