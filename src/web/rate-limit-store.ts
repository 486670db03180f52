import type { ClientRateLimitInfo, Options, Store } from "express-rate-limit";
import type { Clock } from "../clock.js";
import type { Db } from "../db.js";

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

  async decrement(key: string): Promise<void> {
    await this.db("rate_limits").where({ key: this.prefix + key }).andWhere("hits", ">", 0).decrement("hits", 1);
  }

  async resetKey(key: string): Promise<void> {
    await this.db("rate_limits").where({ key: this.prefix + key }).delete();
  }
}
