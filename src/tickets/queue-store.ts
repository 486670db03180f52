import type { Knex } from "knex";
import { asDate, type Db } from "../shared/db.js";
import { MAX_ROW_ID } from "../shared/row-ids.js";
import { TICKET_STATUSES, type TicketPriority, type TicketStatus, type TicketType } from "./vocabulary.js";

export const PAGE_SIZE = 50;
/** A text search reads at most this many tickets per page, newest first, then offers the older ones. */
const TEXT_SCAN_WINDOW = 5000;

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

/** The text filter, already split into what it can use: a ticket number, or words to look for. */
export type TextQuery = { number: number } | { text: string; requesterIds: number[] };

/** Every filter is optional; the store applies the ones given, each in front of (updated_at, id). */
export interface QueueFilter {
  status?: TicketStatus;
  type?: TicketType;
  /** A login id, or null for unassigned tickets. */
  assigneeId?: number | null;
  accountId?: number;
  requesterId?: number;
  text?: TextQuery;
  after?: Cursor;
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
}

export interface QueuePage {
  rows: QueueRow[];
  /** The `after` cursor of the next page, or null on the last one. */
  next: string | null;
  /** For a text search: true when this page stopped at the scan window rather than at 50 matches. */
  windowEnded: boolean;
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
});

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** What a queue row shows, and what its joins need: no more is read (51 rows on every desk page). */
const QUEUE_COLUMNS = ["id", "subject", "type", "status", "priority", "account_id", "requester_id", "assignee_id", "created_at", "updated_at"];

/** The equality filters and the cursor: each index (x, updated_at, id) serves one of them plus the order. */
function filtered(db: Db, filter: QueueFilter, columns: string[] = QUEUE_COLUMNS): Knex.QueryBuilder {
  const q = db("tickets").select(columns);
  if (filter.status) q.where("status", filter.status);
  if (filter.type) q.where("type", filter.type);
  if (filter.assigneeId === null) q.whereNull("assignee_id");
  else if (filter.assigneeId !== undefined) q.where("assignee_id", filter.assigneeId);
  if (filter.accountId !== undefined) q.where("account_id", filter.accountId);
  if (filter.requesterId !== undefined) q.where("requester_id", filter.requesterId);
  if (filter.text && "number" in filter.text) q.where("id", filter.text.number);
  if (filter.after) q.whereRaw("(updated_at, id) < (?, ?)", [filter.after.updatedAt, filter.after.id]);
  return q.orderBy([{ column: "updated_at", order: "desc" }, { column: "id", order: "desc" }]);
}

/**
 * Names for the page's rows only: the joins run on at most 51 tickets, never on the table. They
 * read users here rather than through identity/, as a query per row would cost more.
 */
function withNames(db: Db, tickets: Knex.QueryBuilder): Knex.QueryBuilder {
  return db
    .from(tickets.as("t"))
    .join("accounts", "accounts.id", "t.account_id")
    .join("users as requester", "requester.id", "t.requester_id")
    .leftJoin("users as assignee", "assignee.id", "t.assignee_id")
    .select(...QUEUE_COLUMNS.map((c) => `t.${c}`), "accounts.code as account_code", "requester.username as requester", "assignee.username as assignee")
    .orderBy([{ column: "t.updated_at", order: "desc" }, { column: "t.id", order: "desc" }]);
}

/**
 * One page of the queue, newest activity first, 50 rows after the cursor (keyset: no OFFSET).
 * A text search filters a bounded window of the newest tickets after the cursor, so one page
 * never reads more than TEXT_SCAN_WINDOW rows; walking the pages still covers every ticket once.
 */
export async function queuePage(db: Db, filter: QueueFilter, textWindow = TEXT_SCAN_WINDOW): Promise<QueuePage> {
  const text = filter.text && "text" in filter.text ? filter.text : null;
  if (!text) {
    const rows = ((await withNames(db, filtered(db, filter).limit(PAGE_SIZE + 1))) as Row[]).map(toRow);
    const more = rows.length > PAGE_SIZE;
    const shown = rows.slice(0, PAGE_SIZE);
    return { rows: shown, next: more ? encodeCursor(shown[shown.length - 1]!) : null, windowEnded: false };
  }

  const scanned = filtered(db, filter).limit(textWindow);
  const matches = db
    .from(scanned.as("w"))
    .select("w.*")
    .where((w) => {
      w.whereRaw("lower(w.subject) like ? escape '\\'", [`%${escapeLike(text.text.toLowerCase())}%`]);
      if (text.requesterIds.length > 0) w.orWhereIn("w.requester_id", text.requesterIds);
    })
    .orderBy([{ column: "w.updated_at", order: "desc" }, { column: "w.id", order: "desc" }])
    .limit(PAGE_SIZE + 1);
  const rows = ((await withNames(db, matches)) as Row[]).map(toRow);
  if (rows.length > PAGE_SIZE) {
    const shown = rows.slice(0, PAGE_SIZE);
    return { rows: shown, next: encodeCursor(shown[shown.length - 1]!), windowEnded: false };
  }
  // Fewer than a page matched in the window: if the window was full, carry on after its last row.
  const edge = (await db
    .from(filtered(db, filter, ["updated_at", "id"]).limit(textWindow).as("e"))
    .select("e.updated_at", "e.id", db.raw("count(*) over () as n"))
    .orderBy([{ column: "e.updated_at", order: "asc" }, { column: "e.id", order: "asc" }])
    .first()) as Row | undefined;
  if (!edge || Number(edge.n) < textWindow) return { rows, next: null, windowEnded: false };
  return { rows, next: encodeCursor({ updatedAt: asDate(edge.updated_at)!, id: Number(edge.id) }), windowEnded: true };
}

/** Tickets per status, kept in step by the writes (O(1) at any size). */
export async function statusCounts(db: Db): Promise<Record<TicketStatus, number>> {
  const rows: Row[] = await db("ticket_status_counts").select("status", "n");
  const counts = Object.fromEntries(TICKET_STATUSES.map((s) => [s, 0])) as Record<TicketStatus, number>;
  for (const r of rows) counts[r.status as TicketStatus] = Number(r.n);
  return counts;
}
