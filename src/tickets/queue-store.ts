import type { Knex } from "knex";
import { asDate, isPostgres, type Db } from "../shared/db.js";
import { MAX_ROW_ID } from "../shared/row-ids.js";
import { ticketsMatching, type SearchAudience } from "./search-store.js";
import type { SearchWord } from "./search-terms.js";
import { TICKET_STATUSES, type TicketPriority, type TicketStatus, type TicketType } from "./vocabulary.js";

export const PAGE_SIZE = 50;

/** A position in the queue: the last row shown, as (updated_at, id). */
export interface Cursor {
  updatedAt: Date;
  id: number;
}

/** The opaque `after` value of a cursor: "updatedAtMs.id". */
export const encodeCursor = (c: Cursor) => `${c.updatedAt.getTime()}.${c.id}`;

export function decodeCursor(value: string): Cursor | null {
  const match = /^(\d{1,15})\.(\d{1,10})$/.exec(value);
  if (!match) return null;
  const id = Number(match[2]);
  if (id > MAX_ROW_ID) return null;
  return { updatedAt: new Date(Number(match[1])), id };
}

/** The due view's position: the last row shown, as (due_at, id), soonest first. */
export interface DueCursor {
  dueAt: Date;
  id: number;
}

/** The due view's `after` value: "d" then "dueAtMs.id", so an activity cursor is never taken for one. */
export const encodeDueCursor = (c: DueCursor) => `d${encodeCursor({ updatedAt: c.dueAt, id: c.id })}`;

export function decodeDueCursor(value: string): DueCursor | null {
  const position = value.startsWith("d") ? decodeCursor(value.slice(1)) : null;
  return position && { dueAt: position.updatedAt, id: position.id };
}

/** The text filter: a ticket number (`#123`), or words each of which a ticket must match somewhere. */
export type TextQuery = { number: number } | { words: SearchWord[]; audience: SearchAudience };

/** The equality filters on a ticket's type and assignee, which a view's scope and the filter form both may set. */
interface TypeAndAssignee {
  type?: TicketType;
  /** A login id, or null for unassigned tickets. */
  assigneeId?: number | null;
}

/**
 * A named view's part of the filter (queue-views.ts), applied beside the form's: both must hold,
 * so "Mine" with another agent as assignee lists nothing rather than one of the two.
 */
export interface ViewScope extends TypeAndAssignee {
  /** Only tickets not closed (the partial indexes `tickets_open_*` hold exactly those). */
  notClosed?: boolean;
  /** Only the tickets whose id this subquery selects: a view whose tickets another domain knows. */
  idsIn?: Knex.QueryBuilder;
}

/** Every filter is optional; the store applies the ones given, each in front of (updated_at, id). */
export interface QueueFilter extends TypeAndAssignee {
  scope?: ViewScope;
  status?: TicketStatus;
  accountId?: number;
  requesterId?: number;
  text?: TextQuery;
  after?: Cursor;
  /** The due view: only tickets with a running due time, soonest first, after its own cursor. */
  due?: { after?: DueCursor };
}

export interface QueueRow {
  id: number;
  subject: string;
  type: TicketType;
  status: TicketStatus;
  priority: TicketPriority;
  accountCode: string;
  requester: string;
  assignee: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** The running SLA due time, and whether the first response was given (which clock it is). */
  dueAt: Date | null;
  firstRespondedAt: Date | null;
}

export interface QueuePage {
  rows: QueueRow[];
  /** The `after` cursor of the next page, or null on the last one. */
  next: string | null;
}

type Row = Record<string, unknown>;

const toRow = (r: Row): QueueRow => ({
  id: Number(r.id),
  subject: r.subject as string,
  type: r.type as TicketType,
  status: r.status as TicketStatus,
  priority: r.priority as TicketPriority,
  accountCode: r.account_code as string,
  requester: r.requester as string,
  assignee: (r.assignee as string | null) ?? null,
  createdAt: asDate(r.created_at)!,
  updatedAt: asDate(r.updated_at)!,
  dueAt: asDate(r.due_at),
  firstRespondedAt: asDate(r.first_responded_at),
});

/** What a queue row shows, and what its joins need: no more is read (51 rows on every desk page). */
const QUEUE_COLUMNS = ["id", "subject", "type", "status", "priority", "account_id", "requester_id", "assignee_id", "created_at", "updated_at", "due_at", "first_responded_at"];

/** The order of a page: newest activity first, or (the due view) soonest due first, served by the index (due_at, id). */
const orderOf = (filter: QueueFilter, prefix = "") =>
  filter.due
    ? [{ column: `${prefix}due_at`, order: "asc" }, { column: `${prefix}id`, order: "asc" }]
    : [{ column: `${prefix}updated_at`, order: "desc" }, { column: `${prefix}id`, order: "desc" }];

/**
 * The equality filters and the cursor: each index (x, updated_at, id) serves one of them plus the
 * order. A text search adds, per word, `id IN (the tickets the indexes find for it)`; for a broad
 * word `+id IN (…)`, which SQLite cannot drive from (see searchRows).
 */
function filtered(db: Db, filter: QueueFilter, broad: ReadonlySet<SearchWord> = new Set()): Knex.QueryBuilder {
  const q = db("tickets").select(QUEUE_COLUMNS);
  if (filter.scope) scoped(q, filter.scope);
  if (filter.status) q.where("status", filter.status);
  typeAndAssignee(q, filter);
  if (filter.accountId !== undefined) q.where("account_id", filter.accountId);
  if (filter.requesterId !== undefined) q.where("requester_id", filter.requesterId);
  if (filter.text && "number" in filter.text) q.where("id", filter.text.number);
  if (filter.text && "words" in filter.text) {
    // A search of only punctuation has no word: it finds nothing, not everything.
    if (filter.text.words.length === 0) q.whereRaw("1 = 0");
    for (const word of filter.text.words) {
      const matches = ticketsMatching(db, word, filter.text.audience);
      if (broad.has(word)) q.whereRaw("+id in ?", [matches]);
      else q.whereIn("id", matches);
    }
  }
  if (filter.after) q.whereRaw("(updated_at, id) < (?, ?)", [filter.after.updatedAt, filter.after.id]);
  if (filter.due) q.whereNotNull("due_at");
  if (filter.due?.after) q.whereRaw("(due_at, id) > (?, ?)", [filter.due.after.dueAt, filter.due.after.id]);
  return q.orderBy(orderOf(filter));
}

function typeAndAssignee(q: Knex.QueryBuilder, filter: TypeAndAssignee): void {
  if (filter.type) q.where("type", filter.type);
  if (filter.assigneeId === null) q.whereNull("assignee_id");
  else if (filter.assigneeId !== undefined) q.where("assignee_id", filter.assigneeId);
}

function scoped(q: Knex.QueryBuilder, scope: ViewScope): void {
  // A literal, not a bound value: SQLite uses a partial index only for a term it can match to
  // the index's own WHERE when the statement is prepared.
  if (scope.notClosed) q.whereRaw("status <> 'closed'");
  typeAndAssignee(q, scope);
  if (scope.idsIn) q.whereIn("id", scope.idsIn);
}

/**
 * Names for the page's rows only: the joins run on at most 51 tickets, never on the table. They
 * read users here rather than through identity/, as a query per row would cost more.
 */
function withNames(db: Db, filter: QueueFilter, tickets: Knex.QueryBuilder): Knex.QueryBuilder {
  return db
    .from(tickets.as("t"))
    .join("accounts", "accounts.id", "t.account_id")
    .join("users as requester", "requester.id", "t.requester_id")
    .leftJoin("users as assignee", "assignee.id", "t.assignee_id")
    .select(...QUEUE_COLUMNS.map((c) => `t.${c}`), "accounts.code as account_code", "requester.username as requester", "assignee.username as assignee")
    .orderBy(orderOf(filter, "t."));
}

/** One page of the queue, newest activity first (or soonest due), 50 rows after the cursor (keyset: no OFFSET). */
export async function queuePage(db: Db, filter: QueueFilter): Promise<QueuePage> {
  const rows = await searchRows(db, filter);
  const more = rows.length > PAGE_SIZE;
  const shown = rows.slice(0, PAGE_SIZE);
  const last = shown[shown.length - 1]!;
  return { rows: shown, next: more ? (filter.due ? encodeDueCursor({ dueAt: last.dueAt!, id: last.id }) : encodeCursor(last)) : null };
}

/** Past this many matching tickets a search word is broad (see searchRows). */
const BROAD_MATCHES = 2_000;

/**
 * The rows of a page (one more than it shows). SQLite's plan for `id IN (matches)` fetches every
 * matching ticket and sorts them: right for a rare word, but a word on one ticket in ten means
 * 100,000 lookups at a million tickets. So a broad word's matches only mark tickets (`+id IN`),
 * and the view's order index is walked until a page is full; a search with any narrow word is
 * still driven by that word's few matches. PostgreSQL's planner weighs the GIN hit counts itself.
 */
async function searchRows(db: Db, filter: QueueFilter): Promise<QueueRow[]> {
  const text = filter.text && "words" in filter.text && !isPostgres(db) ? filter.text : null;
  const broad = text ? await broadWords(db, text.words, text.audience) : new Set<SearchWord>();
  return ((await withNames(db, filter, filtered(db, filter, broad).limit(PAGE_SIZE + 1))) as Row[]).map(toRow);
}

/** The words that match more than BROAD_MATCHES tickets, each counted only that far (so the count costs the same at any size). */
async function broadWords(db: Db, words: SearchWord[], audience: SearchAudience): Promise<Set<SearchWord>> {
  const broad = new Set<SearchWord>();
  for (const word of words) {
    const found = (await db.from(ticketsMatching(db, word, audience).limit(BROAD_MATCHES + 1).as("m")).count({ n: "*" }).first()) as { n: number | string };
    if (Number(found.n) > BROAD_MATCHES) broad.add(word);
  }
  return broad;
}

/** Tickets per status, kept in step by the writes (O(1) at any size). */
export async function statusCounts(db: Db): Promise<Record<TicketStatus, number>> {
  const rows: Row[] = await db("ticket_status_counts").select("status", "n");
  const counts = Object.fromEntries(TICKET_STATUSES.map((s) => [s, 0])) as Record<TicketStatus, number>;
  for (const r of rows) counts[r.status as TicketStatus] = Number(r.n);
  return counts;
}
