import { mkdirSync } from "node:fs";
import path from "node:path";
import knex, { type Knex } from "knex";
import Client_SQLite3 from "knex/lib/dialects/sqlite3/index.js";
import { migrationSource } from "../../migrations/index.js";

export type Db = Knex;

/**
 * How knex reports failures. It writes a failed query into its error's message with the values
 * filled in (a session row with its CSRF token, a password hash); off, the message holds the SQL
 * with `?` only, so an error can be logged. And it prints every failed connection attempt with
 * console.log, into the JSON log on stdout, though the same error reaches the caller, who logs it.
 */
const KNEX_FAILURES = {
  compileSqlOnError: false,
  log: {
    warn(message: string) {
      if (!message.startsWith("Acquire connection error")) process.stderr.write(`knex: ${message}\n`);
    },
  },
};

/**
 * SQLite's writer, whose transactions take the write lock when they begin. knex begins them
 * DEFERRED: a transaction that reads and then writes holds a snapshot, and when another process
 * (the CLI, a worker beside the web process) commits in between, its first write fails at once
 * with SQLITE_BUSY, without waiting out busy_timeout. Taken at BEGIN, the lock is waited for
 * instead, and one process's writers queue behind another's.
 */
class ImmediateSqlite3 extends Client_SQLite3 {
  override _query(connection: unknown, obj: { sql: string }) {
    if (obj.sql === "BEGIN;") obj.sql = "BEGIN IMMEDIATE;";
    return super._query(connection, obj);
  }
}

/** Opens knex on SQLite (`sqlite:/path/file`) or PostgreSQL (`postgres://…`). */
export function openDatabase(databaseUrl: string): Db {
  if (databaseUrl.startsWith("sqlite:")) {
    const filename = databaseUrl.slice("sqlite:".length);
    if (filename !== ":memory:") mkdirSync(path.dirname(filename), { recursive: true });
    return knex({
      client: ImmediateSqlite3,
      connection: { filename },
      useNullAsDefault: true,
      ...KNEX_FAILURES,
      // One connection: SQLite has one writer, and a single connection makes transactions serial.
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: SqliteConnection) => void) {
          // synchronous = FULL: every commit is on disk before it returns. NORMAL in WAL mode may lose
          // the last commits on a power cut, and a reset's commit (new password hash, queued mail) or
          // the mark that its mail was sent must not vanish after the mail has gone out.
          // secure_delete = ON: what is deleted or overwritten (a sent secret mail's sealed copy, a
          // spent passphrase) is zeroed in the file, not left in free pages for a copy of it to give up.
          conn.exec("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON;", (err) =>
            done(err, conn),
          );
        },
      },
    });
  }
  return knex({ client: "pg", connection: databaseUrl, ...KNEX_FAILURES, pool: { min: 0, max: 10 } });
}

interface SqliteConnection {
  exec(sql: string, callback: (err: Error | null) => void): void;
}

/** How many read-only SQLite connections serve the busiest pages beside the one writer. */
const SQLITE_READERS = 3;

/**
 * A handle for the hot read-only queries (who is signed in, the agent queue). On a SQLite file,
 * a few read-only connections: WAL lets them read while the one writer writes, and each read
 * sees every transaction committed before it began. On PostgreSQL (already a pool) or an
 * in-memory SQLite database, the same handle as `db`.
 */
export function openReader(databaseUrl: string, db: Db): Db {
  if (!databaseUrl.startsWith("sqlite:") || databaseUrl === "sqlite::memory:") return db;
  return knex({
    client: "sqlite3",
    connection: { filename: databaseUrl.slice("sqlite:".length) },
    useNullAsDefault: true,
    ...KNEX_FAILURES,
    pool: {
      min: 0,
      max: SQLITE_READERS,
      afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: SqliteConnection) => void) {
        conn.exec("PRAGMA query_only = ON; PRAGMA busy_timeout = 5000;", (err) => done(err, conn));
      },
    },
  });
}

export const isPostgres = (db: Db | Knex.Transaction) => (db.client as { config: { client: string } }).config.client === "pg";

/**
 * After a row that held a secret was overwritten: on SQLite, the WAL's older copies of its pages
 * go into the file (zeroed there by secure_delete) and the WAL is emptied, so neither file still
 * holds it. PostgreSQL keeps old row versions until (auto)vacuum reclaims them (README, "Running on PostgreSQL").
 */
export async function scrubOverwrittenRows(db: Db): Promise<void> {
  if (!isPostgres(db)) await db.raw("PRAGMA wal_checkpoint(TRUNCATE)");
}

/** Inserts one row and returns its generated id, on both databases. */
export async function insertReturningId(db: Db | Knex.Transaction, table: string, row: Record<string, unknown>): Promise<number> {
  const inserted: unknown = await db(table).insert(row).returning("id");
  return (inserted as { id: number }[])[0]!.id;
}

export async function migrate(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

/**
 * The migrations of this version the database has not run, read without writing (knex's own
 * migrate.list creates its tables when they are missing): for /readyz, on the read connections.
 */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const known = await migrationSource.getMigrations([]);
  if (!(await db.schema.hasTable("knex_migrations"))) return known;
  const rows: unknown = await db("knex_migrations").select("name");
  const done = new Set((rows as { name: string }[]).map((r) => r.name));
  return known.filter((name) => !done.has(name));
}

/** Row values come back as Date (PostgreSQL) or number/string (SQLite); this makes them Dates. */
export function asDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(value as string | number);
}

/** PostgreSQL SQLSTATEs of a server that is away, starting, stopping, out of room (classes 08, 53, 57P) or taking no writes (25006, a standby). */
const PG_UNAVAILABLE = /^(08|53|57P0[1-3]|25006)/;
/** Socket errors on the way to the database server. */
const NET_UNAVAILABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ENOTFOUND"]);
/** SQLite: the disk is full, the file is locked, unreadable or read-only — nothing a retry of the same request would not fix once the operator has. */
const SQLITE_UNAVAILABLE = /^SQLITE_(FULL|BUSY|LOCKED|IOERR|READONLY|CANTOPEN|PROTOCOL)/;
/** Errors without a code (after the failed SQL, when in a query): pg's dropped connections, knex's pool giving up or shut down. */
const MESSAGE_UNAVAILABLE = /(Connection terminated|Client has encountered a connection error|Timeout acquiring a connection|Unable to acquire a connection)/;

/**
 * Whether an error means the database cannot be reached or written right now (a 503, "try
 * again shortly"), as opposed to a bug or bad data (a 500). Follows `cause` a few levels, since
 * wrappers keep the original there.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (PG_UNAVAILABLE.test(code) || NET_UNAVAILABLE.has(code) || SQLITE_UNAVAILABLE.test(code))) return true;
    if (e.name === "KnexTimeoutError" || MESSAGE_UNAVAILABLE.test(e.message)) return true;
  }
  return false;
}
