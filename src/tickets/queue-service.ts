import type { Actor } from "../shared/actor.js";
import type { Db } from "../shared/db.js";
import { done, refused, type Problems, type Result } from "../shared/problems.js";
import { findAccountByCode } from "../accounts/index.js";
import { ticketNumberIn, type TicketStatus, type TicketType } from "./vocabulary.js";
import { searchWords } from "./search-terms.js";
import { queuePage, type Cursor, type DueCursor, type QueueFilter, type QueuePage, type TextQuery } from "./queue-store.js";
import { DEFAULT_VIEW, viewScope, type QueueView, type ViewSubqueries } from "./queue-views.js";
import type { SearchAudience } from "./search-store.js";

const BROKEN_PAGE_LINK = "This page link is broken; start again from the first page.";

/** What the desk asked the queue for, each value already checked by its form (web/ticket-forms.ts). */
export interface QueueQuery {
  /** A named view; Open work when not given. */
  view?: QueueView;
  status?: TicketStatus;
  type?: TicketType;
  /** `me`, `unassigned`, `any` or an agent's id. */
  assignee?: string;
  /** An account code, upper case. */
  account?: string;
  q?: string;
  /** The due view pages by its own cursor kind. */
  after?: Cursor | DueCursor;
}

/**
 * Turns the desk's checked query into a store filter: the view's scope, then the form's filters
 * (resolves `me`, an agent id and an account code, and splits `q` into a ticket number or
 * words). Unknown names are problems, not empty pages; nothing typed in `q` is (see search-terms.ts).
 */
export async function deskQueue(db: Db, viewer: Actor, staff: readonly { id: number }[], query: QueueQuery, ids: ViewSubqueries): Promise<Result<QueuePage>> {
  const view = query.view ?? DEFAULT_VIEW;
  const filter: QueueFilter = { scope: viewScope(view, viewer, ids), status: query.status, type: query.type };
  const problems: Problems = {};
  const dueCursor = query.after && "dueAt" in query.after ? query.after : undefined;
  const activityCursor = query.after && "updatedAt" in query.after ? query.after : undefined;
  if (view === "due") filter.due = { after: dueCursor };
  else filter.after = activityCursor;
  // A page link of one view opened in another points nowhere in it.
  if (query.after && !(view === "due" ? dueCursor : activityCursor)) problems.after = BROKEN_PAGE_LINK;
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
  if (query.q) filter.text = textFilter(query.q, "staff");
  if (Object.keys(problems).length > 0) return refused(problems);
  return done(await queuePage(db, filter));
}

/** `#123` is that ticket; anything else is words to search for, as the audience may see them. */
function textFilter(q: string, audience: SearchAudience): TextQuery {
  const number = ticketNumberIn(q);
  return number !== null ? { number } : { words: searchWords(q), audience };
}

/**
 * A customer's list: a secondary login's own tickets, or (primary) all of its account's; a
 * search there reads public messages only, never internal notes.
 */
export function customerTickets(db: Db, viewer: Actor, query: { q?: string; after?: Cursor }): Promise<QueuePage> {
  const scope: QueueFilter = viewer.role === "primary" ? { accountId: viewer.accountId! } : { requesterId: viewer.id };
  return queuePage(db, { ...scope, after: query.after, ...(query.q ? { text: textFilter(query.q, "customer") } : {}) });
}
