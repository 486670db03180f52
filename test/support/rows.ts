/** Reading rows straight from a test app's database. */
import { asDate, type Db } from "../../src/shared/db.js";

export type Row = Record<string, unknown>;

/** The number of rows of a table (matching `where`), from a test app or a database. */
export async function count(from: Db | { db: Db }, table: string, where: Row = {}): Promise<number> {
  const db = typeof from === "function" ? from : from.db;
  const row = (await db(table).where(where).count({ n: "*" }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

/** A timestamp column as milliseconds since the epoch, or null (Dates on PostgreSQL, numbers on SQLite). */
export const msOf = (value: unknown): number | null => asDate(value)?.getTime() ?? null;
