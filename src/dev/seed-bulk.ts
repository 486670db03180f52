import type { Knex } from "knex";
import { isPostgres } from "../shared/db.js";

type Conn = Knex | Knex.Transaction;

/** Bound parameters one statement may carry: PostgreSQL's wire limit, SQLite's default SQLITE_MAX_VARIABLE_NUMBER. */
const MAX_BINDINGS = { pg: 65_535, sqlite: 32_766 } as const;
/** Rows per multi-row INSERT, when the binding limit allows that many. */
const ROWS_PER_STATEMENT = 5_000;

export const rowsPerStatement = (db: Conn, columns: number) =>
  Math.max(1, Math.min(ROWS_PER_STATEMENT, Math.floor(MAX_BINDINGS[isPostgres(db) ? "pg" : "sqlite"] / columns)));

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Inserts `rows` (values in `columns` order) with as few multi-row INSERTs as the
 * database's binding limit allows. One statement per chunk, inside the caller's transaction.
 */
export async function insertRows(trx: Knex.Transaction, table: string, columns: readonly string[], rows: readonly unknown[][]): Promise<void> {
  const perStatement = rowsPerStatement(trx, columns.length);
  const tuple = `(${columns.map(() => "?").join(",")})`;
  const head = `insert into ${quote(table)} (${columns.map(quote).join(",")}) values `;
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const bindings: unknown[] = [];
    for (const row of chunk) for (const value of row) bindings.push(value);
    await trx.raw(head + new Array<string>(chunk.length).fill(tuple).join(","), bindings as Knex.RawBinding[]);
  }
}

/**
 * `n` ids for new rows of `table`, so rows that refer to each other can go in with
 * multi-row INSERTs. PostgreSQL draws them from the table's sequence (safe beside other
 * writers); SQLite continues after the highest id ever used, inside the caller's
 * transaction (SQLite has one writer at a time).
 */
export async function reserveIds(trx: Knex.Transaction, table: string, n: number): Promise<number[]> {
  if (n === 0) return [];
  if (isPostgres(trx)) {
    const result: unknown = await trx.raw("select nextval(pg_get_serial_sequence(?, 'id')) as id from generate_series(1, ?)", [table, n]);
    return (result as { rows: { id: string }[] }).rows.map((r) => Number(r.id));
  }
  const rows: unknown = await trx.raw(
    `select max(coalesce((select max(id) from ${quote(table)}), 0), coalesce((select seq from sqlite_sequence where name = ?), 0)) as top`,
    [table],
  );
  const top = (rows as { top: number }[])[0]?.top ?? 0;
  return Array.from({ length: n }, (_, i) => top + 1 + i);
}
