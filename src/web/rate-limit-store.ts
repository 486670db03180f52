import type { ClientRateLimitInfo, Options, Store } from "express-rate-limit";
import type { Clock } from "../shared/clock.js";
import type { Knex } from "knex";
import type { Db } from "../shared/db.js";

/** Decrements still running: they start after their response has been sent. */
const pendingDecrements = new Set<Promise<void>>();

/** Resolves when every decrement started so far has finished (tests read the counters after it). */
export async function rateLimitDecrementsSettled(): Promise<void> {
  while (pendingDecrements.size) await Promise.allSettled([...pendingDecrements]);
}

/**
 * express-rate-limit counters in the database, so every web process shares them.
 * One upsert per hit: a window that has ended starts again at one.
 */
export class KnexRateLimitStore implements Store {
  private windowMs = 60_000;
  readonly localKeys = false;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    readonly prefix: string,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const now = this.clock.now().getTime();
    const resetAt = now + this.windowMs;
    const result: unknown = await this.db.raw(
      `INSERT INTO rate_limits (key, hits, reset_at_ms) VALUES (?, 1, ?)
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN rate_limits.reset_at_ms <= ? THEN 1 ELSE rate_limits.hits + 1 END,
         reset_at_ms = CASE WHEN rate_limits.reset_at_ms <= ? THEN excluded.reset_at_ms ELSE rate_limits.reset_at_ms END
       RETURNING hits, reset_at_ms`,
      [this.prefix + key, resetAt, now, now],
    );
    // pg answers { rows }, sqlite3 an array of rows.
    const row = (Array.isArray(result) ? result[0] : (result as { rows: unknown[] }).rows[0]) as { hits: number | string; reset_at_ms: number | string };
    return { totalHits: Number(row.hits), resetTime: new Date(Number(row.reset_at_ms)) };
  }

  /** express-rate-limit calls it after the response has gone (a success given back): see {@link rateLimitDecrementsSettled}. */
  decrement(key: string): Promise<void> {
    const job: Promise<void> = this.db("rate_limits")
      .where({ key: this.prefix + key })
      .andWhere("hits", ">", 0)
      .decrement("hits", 1)
      .then(() => undefined)
      .finally(() => pendingDecrements.delete(job));
    pendingDecrements.add(job);
    return job;
  }

  async resetKey(key: string): Promise<void> {
    await this.db("rate_limits").where({ key: this.prefix + key }).delete();
  }
}

/** One attempt a limit refused: counted into its address's row for the window. */
export interface Refusal {
  /** The counter's key (prefix and address): one row per key and window. */
  key: string;
  windowEndsAtMs: number;
  /** The audit action the window's row is written with, and its constant details. */
  action: string;
  details: Record<string, unknown>;
  /** The address the limit counts by (for IPv6, the /56 network). */
  ip: string;
  atMs: number;
}

export interface RefusalCount {
  key: string;
  windowEndsAtMs: number;
  action: string;
  details: Record<string, unknown>;
  ip: string;
  refused: number;
  firstAtMs: number;
  lastAtMs: number;
}

export async function countRefusal(db: Db, r: Refusal): Promise<void> {
  await db("rate_limit_refusals")
    .insert({ key: r.key, window_ends_at_ms: r.windowEndsAtMs, action: r.action, ip: r.ip, details: JSON.stringify(r.details), refused: 1, first_at_ms: r.atMs, last_at_ms: r.atMs })
    .onConflict(["key", "window_ends_at_ms"])
    .merge({ refused: db.raw("rate_limit_refusals.refused + 1"), last_at_ms: r.atMs });
}

/** Windows that have ended, oldest first. */
export async function endedRefusalCounts(db: Db, nowMs: number, limit: number): Promise<RefusalCount[]> {
  const rows = (await db("rate_limit_refusals").where("window_ends_at_ms", "<=", nowMs).orderBy("window_ends_at_ms").orderBy("key").limit(limit)) as Record<string, unknown>[];
  return rows.map((row) => ({
    key: row.key as string,
    windowEndsAtMs: Number(row.window_ends_at_ms),
    action: row.action as string,
    details: JSON.parse(row.details as string) as Record<string, unknown>,
    ip: row.ip as string,
    refused: Number(row.refused),
    firstAtMs: Number(row.first_at_ms),
    lastAtMs: Number(row.last_at_ms),
  }));
}

/** Deletes one window's row; false when another process took it first. */
export async function takeRefusalCount(trx: Knex.Transaction, c: Pick<RefusalCount, "key" | "windowEndsAtMs">): Promise<boolean> {
  return (await trx("rate_limit_refusals").where({ key: c.key, window_ends_at_ms: c.windowEndsAtMs }).delete()) === 1;
}
