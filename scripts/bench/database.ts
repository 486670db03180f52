import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { migrate, openDatabase } from "../../src/shared/db.js";
import { projectRoot } from "../../src/shared/paths.js";
import type { BenchDb } from "./options.js";
import { parentOf, processTreeCpuMs } from "./load.js";
import { seed } from "./seed.js";

/** Seeded databases are kept here between runs (var/ is not in git). */
export const BENCH_DIR = path.join(projectRoot, "var", "bench");

/** What the seeded contents depend on: the migrations and the seeding code (scripts/bench/seed.ts, src/dev/). A change means a rebuild. */
function cacheKey(): string {
  const hash = createHash("sha256");
  const sources = [
    ...readdirSync(path.join(projectRoot, "migrations")).sort().map((f) => path.join("migrations", f)),
    "scripts/bench/seed.ts",
    "src/dev/demo-data.ts",
    ...readdirSync(path.join(projectRoot, "src/dev")).filter((f) => f.startsWith("seed-")).sort().map((f) => path.join("src/dev", f)),
  ];
  for (const file of sources) hash.update(file).update(readFileSync(path.join(projectRoot, file)));
  return hash.digest("hex").slice(0, 10);
}

const removeDb = (file: string) => {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
};

/**
 * A SQLite database with the demo data and `tickets` seeded tickets: from var/bench/ when an
 * up-to-date one is there, otherwise built (and kept for next time). The seeding goes through
 * the same triggers as every write, so the search indexes are filled as the rows go in.
 */
export async function seededDatabase(tickets: number, fresh: boolean, log: (line: string) => void): Promise<string> {
  mkdirSync(BENCH_DIR, { recursive: true });
  const file = path.join(BENCH_DIR, `tickets-${tickets}-${cacheKey()}.sqlite`);
  if (!fresh && existsSync(file)) {
    log(`using ${path.relative(projectRoot, file)}`);
    return file;
  }
  for (const old of readdirSync(BENCH_DIR).filter((f) => f.startsWith(`tickets-${tickets}-`))) removeDb(path.join(BENCH_DIR, old));

  const partial = `${file}.partial`;
  removeDb(partial);
  const started = Date.now();
  const db = openDatabase(`sqlite:${partial}`);
  try {
    await migrate(db);
    await seed(db, tickets, log);
    await db.raw("pragma wal_checkpoint(truncate)");
  } finally {
    await db.destroy();
  }
  removeDb(file);
  renameSync(partial, file);
  removeDb(partial);
  log(`built ${path.relative(projectRoot, file)} in ${seconds(started)} s`);
  return file;
}

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

/** A database for one server of a run, and the server's VAR_DIR; `remove()` when done with both. */
export interface RunDatabase {
  url: string;
  dir: string;
  /** "SQLite" or "PostgreSQL", for the report's titles. */
  name: string;
  /** CPU time the database's own processes have used so far, in ms: PostgreSQL's; none on SQLite, whose work is the server's. */
  cpuMs?: () => number;
  remove(): Promise<void>;
}

/**
 * SQLite: a throwaway copy of the cached seeded database (var/bench/), so the run's sessions
 * never reach the cache. PostgreSQL: a database seeded afresh in the cluster of DATABASE_URL
 * (scripts/with-postgres.sh makes a new one per bench run, so nothing can be cached between runs
 * honestly), dropped again at the end.
 */
export async function runDatabase(db: BenchDb, tickets: number, fresh: boolean, log: (line: string) => void): Promise<RunDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), "vouchdesk-bench-"));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  if (db === "pg") {
    const pg = await seededPostgres(tickets, log);
    return { url: pg.url, dir, name: "PostgreSQL", cpuMs: () => processTreeCpuMs(pg.postmaster), remove: async () => (await pg.drop(), removeDir()) };
  }
  const file = path.join(dir, "bench.sqlite");
  copyFileSync(await seededDatabase(tickets, fresh, log), file);
  return { url: `sqlite:${file}`, dir, name: "SQLite", remove: () => Promise.resolve(removeDir()) };
}

/** A new database `vouchdesk_bench_<tickets>` on the server, migrated and seeded as the SQLite ones are. */
async function seededPostgres(tickets: number, log: (line: string) => void): Promise<{ url: string; postmaster: number; drop(): Promise<void> }> {
  // The cluster scripts/with-postgres.sh started (parseOptions checked DATABASE_URL names one).
  const server = process.env.DATABASE_URL!;
  const name = `vouchdesk_bench_${tickets}`;
  const url = new URL(server);
  url.pathname = `/${name}`;
  const admin = openDatabase(server);
  let postmaster: number;
  try {
    await admin.raw(`drop database if exists ${name} with (force)`);
    await admin.raw(`create database ${name}`);
    // The cluster is on this machine (scripts/with-postgres.sh): a backend's parent is the postmaster.
    const backend: unknown = await admin.raw("select pg_backend_pid() as pid");
    postmaster = parentOf((backend as { rows: { pid: number }[] }).rows[0]!.pid);
  } finally {
    await admin.destroy();
  }
  const started = Date.now();
  const db = openDatabase(url.toString());
  try {
    await migrate(db);
    await seed(db, tickets, log);
    // As a desk that has been running: vacuumed and analysed, so no autovacuum of the fresh rows runs while measuring.
    await db.raw("vacuum analyze");
  } finally {
    await db.destroy();
  }
  log(`seeded PostgreSQL database ${name} (${tickets.toLocaleString("en")} tickets) in ${seconds(started)} s`);
  return {
    url: url.toString(),
    postmaster,
    async drop() {
      const again = openDatabase(server);
      try {
        await again.raw(`drop database if exists ${name} with (force)`);
      } finally {
        await again.destroy();
      }
    },
  };
}
