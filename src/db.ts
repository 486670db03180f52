import { mkdirSync } from "node:fs";
import path from "node:path";
import knex, { type Knex } from "knex";
import { migrationSource } from "../migrations/index.js";

export type Db = Knex;

/** Opens knex on SQLite (`sqlite:/path/file`) or PostgreSQL (`postgres://…`). */
export function openDatabase(databaseUrl: string): Db {
  if (databaseUrl.startsWith("sqlite:")) {
    const filename = databaseUrl.slice("sqlite:".length);
    if (filename !== ":memory:") mkdirSync(path.dirname(filename), { recursive: true });
    return knex({
      client: "sqlite3",
      connection: { filename },
      useNullAsDefault: true,
      // One connection: SQLite has one writer, and a single connection makes transactions serial.
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: SqliteConnection) => void) {
          conn.exec("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;", (err) =>
            done(err, conn),
          );
        },
      },
    });
  }
  return knex({ client: "pg", connection: databaseUrl, pool: { min: 0, max: 10 } });
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

/** Inserts one row and returns its generated id, on both databases. */
export async function insertReturningId(db: Db | Knex.Transaction, table: string, row: Record<string, unknown>): Promise<number> {
  const inserted: unknown = await db(table).insert(row).returning("id");
  return Number((inserted as { id: number }[])[0]!.id);
}

export async function migrate(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

/** Row values come back as Date (PostgreSQL) or number/string (SQLite); this makes them Dates. */
export function asDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(value as string | number);
}
