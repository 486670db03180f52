import { rateLimit, type AugmentedRequest } from "express-rate-limit";
import { appendAudit } from "../platform/audit/audit-log.js";
import type { Clock } from "../shared/clock.js";
import { minutes } from "../shared/clock.js";
import type { Db } from "../shared/db.js";
import { HttpError } from "./errors.js";
import { countRefusal, endedRefusalCounts, KnexRateLimitStore, takeRefusalCount } from "./rate-limit-store.js";

export const IP_LIMIT_WINDOW_MS = minutes(15);

export interface IpLimitOptions {
  /** Names the counters (`<name>-ip:<address>`): one set per limited form. */
  name: string;
  /** Attempts per address per 15 minutes. */
  limit: number;
  /** The audit action of each window's row, and constant details to go with it (never a secret). */
  action: string;
  details?: Record<string, unknown>;
  /** The page's message with the 429. */
  message: string;
  /** Count only attempts that fail (answer 400 or more); a success gives its hit back. */
  failuresOnly?: boolean;
}

/**
 * A per-address limit on a form, its counters in the database so every web process shares
 * them. A refused attempt is counted, not audited: the audit log gets one row per address and
 * window with the count (see {@link auditEndedRefusals}), so a flood cannot bury other events.
 */
export function ipLimit(deps: { db: Db; clock: Clock }, o: IpLimitOptions) {
  return rateLimit({
    windowMs: IP_LIMIT_WINDOW_MS,
    limit: o.limit,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    // express-rate-limit's own option: an answer under 400 (a sign-in's redirect) takes its hit back.
    skipSuccessfulRequests: o.failuresOnly ?? false,
    store: new KnexRateLimitStore(deps.db, deps.clock, `${o.name}-ip:`),
    handler: (req, _res, next) => {
      // Set by express-rate-limit before it calls the handler.
      const info = (req as AugmentedRequest).rateLimit!;
      const now = deps.clock.now().getTime();
      const refusal = {
        key: `${o.name}-ip:${info.key}`,
        windowEndsAtMs: info.resetTime?.getTime() ?? now + IP_LIMIT_WINDOW_MS,
        action: o.action,
        details: { ...o.details, limit: o.limit },
        ip: info.key,
        atMs: now,
      };
      void countRefusal(deps.db, refusal).then(() => next(new HttpError(429, o.message)), next);
    },
  });
}

/** Windows summarised in one run of the task; the rest wait for the next run. */
const BATCH = 500;

/**
 * Writes one audit row for each address and ended window in which a limit refused attempts:
 * how many, the first and last, and when the window ended. Each row is taken and audited in
 * one transaction, so two workers never write it twice. Returns how many rows were written.
 */
export async function auditEndedRefusals(deps: { db: Db; clock: Clock }): Promise<number> {
  const now = deps.clock.now();
  let written = 0;
  for (const c of await endedRefusalCounts(deps.db, now.getTime(), BATCH)) {
    const details = {
      ...c.details,
      refused: c.refused,
      firstRefusedAt: new Date(c.firstAtMs).toISOString(),
      lastRefusedAt: new Date(c.lastAtMs).toISOString(),
      windowEndedAt: new Date(c.windowEndsAtMs).toISOString(),
    };
    const took = await deps.db.transaction(async (trx) => {
      if (!(await takeRefusalCount(trx, c))) return false;
      await appendAudit(trx, { action: c.action, ip: c.ip, details }, now);
      return true;
    });
    if (took) written++;
  }
  return written;
}
