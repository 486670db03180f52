/** What a bench database holds, on SQLite and PostgreSQL alike (scripts/bench/database.ts hashes this file into its cache key). */
import { loadDemoData } from "../../src/dev/demo-data.js";
import { seedLongTimeline, seedTickets } from "../../src/dev/seed-tickets.js";
import { hashPassword } from "../../src/identity/password-hashing.js";
import { systemClock } from "../../src/shared/clock.js";
import type { Db } from "../../src/shared/db.js";

/** Every demo login of a bench database has this password; the databases never leave this machine. */
export const BENCH_PASSWORD = "Bench-Only-Passw0rd!local";
/** Events on the bench's long ticket (issue 19: "a ticket with 200 events"). */
export const LONG_TICKET_EVENTS = 200;

/**
 * The demo data, `tickets` seeded tickets, the long ticket's timeline, and a password for the
 * portal's customer (seeded logins have none), on a migrated database.
 */
export async function seed(db: Db, tickets: number, log: (line: string) => void): Promise<void> {
  await loadDemoData(db, systemClock, BENCH_PASSWORD);
  await seedTickets(db, {
    tickets,
    seed: tickets,
    onProgress: (done, total) => {
      if (done === total || done % 200_000 === 0) log(`seeding ${done.toLocaleString("en")} / ${total.toLocaleString("en")} tickets`);
    },
  });
  await seedLongTimeline(db, await longTicketId(db), LONG_TICKET_EVENTS);
  await db("users").where({ username: await portalLogin(db) }).update({ password_hash: await hashPassword(BENCH_PASSWORD) });
}

/**
 * The customer whose portal is measured: the seeded secondary login that opened the most
 * tickets (the demo customers have none of the seeded tickets, and their list would not grow with the desk).
 */
export async function portalLogin(db: Db): Promise<string> {
  const row: unknown = await db("tickets")
    .join("users", "users.id", "tickets.requester_id")
    .where("users.role", "secondary")
    .groupBy("users.id", "users.username")
    .orderByRaw("count(*) desc, users.id")
    .first("users.username");
  if (!row) throw new Error("the bench database has no ticket opened by a secondary login");
  return (row as { username: string }).username;
}

/** The long ticket: the first seeded ticket from the middle of the id range (an ordinary ticket, not the newest). */
export async function longTicketId(db: Db): Promise<number> {
  const row: unknown = await db("tickets")
    .where("id", ">=", db("tickets").select(db.raw("(min(id) + max(id)) / 2")))
    .orderBy("id")
    .first("id");
  if (!row) throw new Error("the bench database has no tickets");
  return Number((row as { id: number | string }).id);
}
