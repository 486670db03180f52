import type { Knex } from "knex";
import { asDate, isPostgres, type Db } from "../shared/db.js";
import { STAFF_ROLES } from "../shared/roles.js";
import { seedAccounts, type SeededAccount } from "./seed-accounts.js";
import { insertRows, reserveIds } from "./seed-bulk.js";
import { agentReply, PRIORITY_WEIGHTS, seededRandom, statusForAge, ticketBody, ticketSubject, TYPE_WEIGHTS, weighted, type Random } from "./seed-data.js";
import { TICKET_STATUSES, type TicketStatus } from "../tickets/vocabulary.js";

export interface SeedOptions {
  /** How many tickets to add. */
  tickets: number;
  /** New accounts to spread them over; by default one per 50 tickets (at most the free 3-letter codes). */
  accounts?: number;
  /** Tickets per transaction. */
  batchSize?: number;
  /** A seed for repeatable data; random otherwise. */
  seed?: number;
  now?: Date;
  onProgress?: (done: number, total: number) => void;
}

export interface SeedResult {
  tickets: number;
  events: number;
  accounts: number;
  logins: number;
}

const DAY = 86_400_000;
const YEAR = 365 * DAY;
const TICKET_COLUMNS = ["id", "account_id", "requester_id", "type", "subject", "status", "priority", "assignee_id", "created_at", "updated_at", "resolved_at", "closed_at"];
const EVENT_COLUMNS = ["ticket_id", "author_id", "kind", "visibility", "body", "data", "created_at"];

/**
 * Fills the database with `tickets` made-up tickets for benchmarks and for trying the queue
 * at scale: new accounts with their logins, tickets created over the past year (ids in
 * creation order, as on a real desk), one or two timeline events each, assignees among the
 * existing agents. Rows go in with multi-row INSERTs, one transaction per batch, and each
 * batch moves `ticket_status_counts` by exactly what it inserted.
 */
export async function seedTickets(db: Db, options: SeedOptions): Promise<SeedResult> {
  const total = options.tickets;
  if (!Number.isInteger(total) || total < 1) throw new RangeError("the number of tickets must be a whole number of at least 1");
  const random = seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 20_000;
  const start = now.getTime() - YEAR;

  const staffRows: unknown = await db("users").whereIn("role", STAFF_ROLES).whereNull("disabled_at").select("id", "role");
  const staff = (staffRows as { id: number; role: string }[]).map((r) => ({ id: r.id, role: r.role }));
  const agents = staff.filter((s) => s.role === "agent").map((s) => s.id);
  const assignees = agents.length ? agents : staff.map((s) => s.id);

  const restore = await speedUpSqlite(db);
  try {
    const accounts = await db.transaction((trx) => seedAccounts(trx, options.accounts ?? Math.ceil(total / 50), random, new Date(start - 30 * DAY)));
    if (accounts.length === 0) throw new Error("no free 3-letter account codes are left for new accounts");
    let events = 0;
    for (let done = 0; done < total; ) {
      const n = Math.min(batchSize, total - done);
      events += await db.transaction(async (trx) => {
        const ids = await reserveIds(trx, "tickets", n);
        const created = ids.map((_, i) => new Date(start + ((done + i + random()) / total) * YEAR));
        return insertBatch(trx, { ids, created, accounts, assignees, random, now });
      });
      done += n;
      options.onProgress?.(done, total);
    }
    return { tickets: total, events, accounts: accounts.length, logins: accounts.reduce((sum, a) => sum + a.loginIds.length, 0) };
  } finally {
    await restore();
  }
}

interface Batch {
  ids: number[];
  created: Date[];
  accounts: SeededAccount[];
  assignees: number[];
  random: Random;
  now: Date;
}

/** Inserts one batch of tickets and their events and moves the status counts; returns the events written. */
async function insertBatch(trx: Knex.Transaction, { ids, created, accounts, assignees, random, now }: Batch): Promise<number> {
  const tickets: unknown[][] = [];
  const events: unknown[][] = [];
  const counts = new Map<TicketStatus, number>(TICKET_STATUSES.map((s) => [s, 0]));
  for (const [i, id] of ids.entries()) {
    // A few accounts open most tickets, as on a real desk.
    const account = accounts[Math.floor(random() ** 2 * accounts.length)]!;
    const requester = account.loginIds[Math.floor(random() * account.loginIds.length)]!;
    const createdAt = created[i]!;
    const status = statusForAge(random, now.getTime() - createdAt.getTime());
    const type = weighted(random, TYPE_WEIGHTS);
    const assignee = status === "new" || random() < 0.1 || assignees.length === 0 ? null : assignees[Math.floor(random() * assignees.length)]!;
    const updatedAt = status === "new" ? createdAt : new Date(Math.min(now.getTime(), createdAt.getTime() + Math.ceil(random() ** 3 * 14 * DAY)));
    const resolvedAt = status === "resolved" || status === "closed" ? new Date(createdAt.getTime() + (updatedAt.getTime() - createdAt.getTime()) * (status === "closed" ? 0.7 : 1)) : null;
    const closedAt = status === "closed" ? updatedAt : null;
    tickets.push([id, account.id, requester, type, ticketSubject(random, type), status, weighted(random, PRIORITY_WEIGHTS), assignee, createdAt, updatedAt, resolvedAt, closedAt]);
    counts.set(status, counts.get(status)! + 1);

    events.push([id, requester, "reply", "public", ticketBody(random), null, createdAt]);
    if (status === "open" || status === "pending_customer") events.push([id, assignee, "reply", "public", agentReply(random), null, updatedAt]);
    else if (status !== "new") events.push([id, assignee, "status", "public", null, JSON.stringify({ from: "open", to: status }), updatedAt]);
  }
  await insertRows(trx, "tickets", TICKET_COLUMNS, tickets);
  await insertRows(trx, "ticket_events", EVENT_COLUMNS, events);
  for (const [status, n] of counts) if (n > 0) await trx("ticket_status_counts").where({ status }).increment("n", n);
  return events.length;
}

/**
 * On SQLite, a larger page cache for this connection while seeding (index pages of a
 * million rows stay in memory); returns what puts the old size back. A no-op on PostgreSQL.
 */
async function speedUpSqlite(db: Db): Promise<() => Promise<void>> {
  if (isPostgres(db)) return () => Promise.resolve();
  const rows: unknown = await db.raw("pragma cache_size");
  const [row] = rows as { cache_size: number }[];
  await db.raw("pragma cache_size = -262144");
  return async () => {
    await db.raw(`pragma cache_size = ${row?.cache_size ?? -2000}`);
  };
}

/**
 * Gives one ticket a long timeline (`events` entries in all, counting those it has): the
 * customer and an agent replying in turn, an internal note every fifth entry and a status
 * change every tenth, spread over the days after it was opened. For the bench's "ticket
 * with 200 events" page; the ticket row itself is left as it is.
 */
export async function seedLongTimeline(db: Db, ticketId: number, events: number, seed = ticketId): Promise<number> {
  const random = seededRandom(seed);
  return db.transaction(async (trx) => {
    const ticket: unknown = await trx("tickets").where({ id: ticketId }).first("requester_id", "assignee_id", "created_at");
    if (!ticket) throw new Error(`no ticket #${ticketId} to give a long timeline`);
    const { requester_id: requester, assignee_id: assignee, created_at: createdAt } = ticket as { requester_id: number; assignee_id: number | null; created_at: unknown };
    const counted: unknown = await trx("ticket_events").where({ ticket_id: ticketId }).count({ n: "*" }).first();
    const have = Number((counted as { n: number | string }).n);
    const agent = assignee ?? requester;
    const opened = asDate(createdAt)!.getTime();
    const rows: unknown[][] = [];
    for (let i = have; i < events; i++) {
      const at = new Date(opened + (i + 1) * 37 * 60_000);
      if (i % 10 === 9) rows.push([ticketId, agent, "status", "public", null, JSON.stringify(i % 20 === 9 ? { from: "open", to: "pending_customer" } : { from: "pending_customer", to: "open" }), at]);
      else if (i % 5 === 4) rows.push([ticketId, agent, "note", "internal", agentReply(random), null, at]);
      else rows.push(i % 2 ? [ticketId, agent, "reply", "public", agentReply(random), null, at] : [ticketId, requester, "reply", "public", ticketBody(random), null, at]);
    }
    await insertRows(trx, "ticket_events", EVENT_COLUMNS, rows);
    return rows.length;
  });
}
