import type { Knex } from "knex";
import { asDate, type Db } from "../shared/db.js";
import { isStaff } from "../shared/roles.js";
import { listAttachments, type Attachment } from "./attachments-store.js";
import type { TicketEvent } from "./tickets-store.js";
import type { EventKind, Visibility } from "./vocabulary.js";

/** How many events one page of a ticket's timeline shows. */
export const TIMELINE_PAGE_SIZE = 50;

/** A timeline event with its author's name and whether the author is staff (null author: the desk). */
export interface TimelineEntry extends TicketEvent {
  author: { username: string; displayName: string; staff: boolean } | null;
}

/**
 * One page of a ticket's timeline, oldest first as the pages read. A long ticket shows its
 * newest events and, above them, its first (the customer's request), as help desks do: the
 * middle is what folds away, behind a link to the next older page.
 */
export interface TimelinePage {
  /** The ticket's first event when the page's own events do not reach back to it; else null. */
  first: TimelineEntry | null;
  /** The page's events, at most TIMELINE_PAGE_SIZE, oldest first. */
  events: TimelineEntry[];
  /** How many events lie between `first` and `events`, not shown (0 when they meet). */
  hidden: number;
  /** The `before` cursor of the next older page (the oldest event shown), when events are hidden. */
  olderBefore: number | null;
  /** The files of the shown events only (internal notes' files left out of the public timeline). */
  files: Attachment[];
}

type Row = Record<string, unknown>;

const toEntry = (r: Row): TimelineEntry => ({
  id: Number(r.id),
  ticketId: Number(r.ticket_id),
  authorId: r.author_id === null || r.author_id === undefined ? null : Number(r.author_id),
  kind: r.kind as EventKind,
  visibility: r.visibility as Visibility,
  body: (r.body as string | null) ?? null,
  data: r.data ? (JSON.parse(r.data as string) as Record<string, unknown>) : null,
  createdAt: asDate(r.created_at)!,
  author: r.author_username ? { username: r.author_username as string, displayName: r.author_name as string, staff: isStaff(r.author_role as string) } : null,
});

/** Which events a viewer sees: staff all of them, customers the public ones only. */
export type TimelineAudience = "public" | "all";

/** The ticket's events (as `alias`) this audience sees. */
const visibleEvents = (db: Db, alias: string, ticketId: number, audience: TimelineAudience): Knex.QueryBuilder => {
  const q = db({ [alias]: "ticket_events" }).where(`${alias}.ticket_id`, ticketId);
  return audience === "public" ? q.andWhere(`${alias}.visibility`, "public") : q;
};

/** The events with their authors: a join, not a query per entry (identity/account-logins-store.ts). */
const withAuthors = (db: Db, ticketId: number, audience: TimelineAudience) =>
  visibleEvents(db, "e", ticketId, audience)
    .leftJoin("users", "users.id", "e.author_id")
    .select("e.*", "users.username as author_username", "users.display_name as author_name", "users.role as author_role");

/**
 * The page of the timeline that ends just before event `before` (null: the newest page). Reads
 * only what the page shows: one more than a page, newest first on the (ticket_id, id) index, so
 * the cost does not grow with the ticket; only when there is more, the first event and the count
 * of those folded away, in one query; then the shown events' files.
 */
export async function timelinePage(db: Db, ticketId: number, audience: TimelineAudience, before: number | null): Promise<TimelinePage> {
  const newest = withAuthors(db, ticketId, audience).orderBy("e.id", "desc").limit(TIMELINE_PAGE_SIZE + 1);
  if (before !== null) void newest.andWhere("e.id", "<", before);
  const rows = ((await newest) as Row[]).map(toEntry);
  const events = rows.slice(0, TIMELINE_PAGE_SIZE).reverse();
  let first: TimelineEntry | null = null;
  let hidden = 0;
  if (rows.length > TIMELINE_PAGE_SIZE) {
    const older = visibleEvents(db, "older", ticketId, audience).andWhere("older.id", "<", events[0]!.id).count("*");
    const row = (await withAuthors(db, ticketId, audience).select(older.as("older_count")).orderBy("e.id").first()) as Row;
    first = toEntry(row);
    hidden = Number(row.older_count) - 1;
  }
  const shownIds = [...(first ? [first.id] : []), ...events.map((e) => e.id)];
  const files = shownIds.length ? await listAttachments(db, ticketId, audience, shownIds) : [];
  return { first, events, hidden, olderBefore: hidden > 0 ? events[0]!.id : null, files };
}
