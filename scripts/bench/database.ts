import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadDemoData } from "../../src/dev/demo-data.js";
import { systemClock } from "../../src/shared/clock.js";
import { migrate, openDatabase } from "../../src/shared/db.js";
import { projectRoot } from "../../src/shared/paths.js";
import { seedTickets } from "../../src/dev/seed-tickets.js";

/** Seeded databases are kept here between runs (var/ is not in git). */
export const BENCH_DIR = path.join(projectRoot, "var", "bench");
/** Every demo login of a bench database has this password; the databases never leave this machine. */
export const BENCH_PASSWORD = "Bench-Only-Passw0rd!local";

/** What the seeded contents depend on: the migrations and the seeding code. A change means a rebuild. */
function cacheKey(): string {
  const hash = createHash("sha256");
  const sources = [
    ...readdirSync(path.join(projectRoot, "migrations")).sort().map((f) => path.join("migrations", f)),
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
    await loadDemoData(db, systemClock, BENCH_PASSWORD);
    await seedTickets(db, {
      tickets,
      seed: tickets,
      onProgress: (done, total) => {
        if (done === total || done % 200_000 === 0) log(`seeding ${done.toLocaleString("en")} / ${total.toLocaleString("en")} tickets`);
      },
    });
    await db.raw("pragma wal_checkpoint(truncate)");
  } finally {
    await db.destroy();
  }
  removeDb(file);
  renameSync(partial, file);
  removeDb(partial);
  log(`built ${path.relative(projectRoot, file)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return file;
}

/** A throwaway copy of a seeded database for one run, so the run's sessions never reach the cache. */
export function copyForRun(source: string): { dir: string; url: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), "vouchdesk-bench-"));
  const file = path.join(dir, "bench.sqlite");
  copyFileSync(source, file);
  return { dir, url: `sqlite:${file}`, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
