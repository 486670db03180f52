import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import knex from "knex";
import { isPostgres, type Db } from "../../src/shared/db.js";

export interface TestDatabase {
  url: string;
  /** The SQLite file (and its WAL) when on SQLite. */
  files: string[];
  drop(): Promise<void>;
}

/**
 * A new, empty database for one test app: a SQLite file in a temporary folder, or — when
 * DATABASE_URL names a PostgreSQL server (CI) — a new database created on that server.
 */
export async function freshDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl && /^postgres(ql)?:\/\//.test(serverUrl)) {
    const name = `vouchdesk_test_${randomBytes(6).toString("hex")}`;
    const admin = knex({ client: "pg", connection: serverUrl, pool: { min: 0, max: 1 } });
    await admin.raw(`CREATE DATABASE ${name}`);
    await admin.destroy();
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      files: [],
      async drop() {
        const again = knex({ client: "pg", connection: serverUrl, pool: { min: 0, max: 1 } });
        await again.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await again.destroy();
      },
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), "vouchdesk-test-"));
  const file = path.join(dir, "test.sqlite");
  return {
    url: `sqlite:${file}`,
    files: [file, `${file}-wal`],
    drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  };
}

/**
 * Whether a string appears anywhere in the database: in the raw bytes of the SQLite file
 * and its WAL, and in every row of every table read back as text (both databases).
 */
export async function databaseContains(db: Db, files: string[], secret: string): Promise<boolean> {
  for (const file of files) {
    if (existsSync(file) && readFileSync(file).includes(Buffer.from(secret, "utf8"))) return true;
  }
  for (const table of await tableNames(db)) {
    const rows: unknown[] = await db(table).select();
    if (JSON.stringify(rows).includes(secret)) return true;
  }
  return false;
}

/**
 * Every row of every table but the `except` ones, as sorted JSON lines per table: equal before
 * and after a request means the request changed nothing in the database.
 */
export async function databaseRows(db: Db, except: string[] = []): Promise<Record<string, string[]>> {
  const state: Record<string, string[]> = {};
  for (const table of (await tableNames(db)).filter((name) => !except.includes(name)).sort()) {
    const rows: unknown[] = await db(table).select();
    state[table] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return state;
}

async function tableNames(db: Db): Promise<string[]> {
  if (isPostgres(db)) {
    const result = (await db.raw("select tablename from pg_tables where schemaname = current_schema()")) as { rows: { tablename: string }[] };
    return result.rows.map((r) => r.tablename);
  }
  const rows = (await db.raw("select name from sqlite_master where type = 'table'")) as { name: string }[];
  return rows.map((r) => r.name);
}
