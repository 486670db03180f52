import { rateLimit, type AugmentedRequest, type RateLimitRequestHandler } from "express-rate-limit";
import { appendAudit } from "../platform/audit/audit-log.js";
import type { Clock } from "../shared/clock.js";
import { minutes } from "../shared/clock.js";
import type { Db } from "../shared/db.js";
import { HttpError } from "./errors.js";
import { countRefusal, endedRefusalCounts, KnexRateLimitStore, takeRefusalCount } from "./rate-limit-store.js";

const WINDOW_MS = minutes(15);

/** What a named limit refuses with: the audit action of each window's row, its constant details (never a secret), the page's message. */
interface LimitRule {
  /** Attempts per address per 15 minutes; the sign-in limit's comes from LOGIN_IP_LIMIT instead. */
  limit?: number;
  action: string;
  details?: Record<string, unknown>;
  message: string;
  /** Count only attempts that fail (answer 400 or more); a success gives its hit back. */
  failuresOnly?: boolean;
}

const SIGN_IN_MESSAGE = "Too many sign-in attempts from your network. Wait a few minutes and try again.";
const RESET_MESSAGE = "Too many password reset attempts from your network. Wait a few minutes and try again.";

/**
 * Every per-address limit of the desk, by name (the counters are `<name>-ip:<address>`). The
 * self-service reset forms do not depend on any username, so their limits tell nothing about
 * logins; they count every attempt, as the forms answer alike whatever was typed.
 */
export const IP_LIMITS = {
  // Failures only: an office behind one address signing in at the start of a shift is not an attack.
  login: { action: "sign_in.rate_limited", message: SIGN_IN_MESSAGE, failuresOnly: true },
  /** Codes posted to the second step: counted like failed passwords, under the same LOGIN_IP_LIMIT. */
  secondStep: { action: "sign_in.rate_limited", details: { form: "second_step" }, message: SIGN_IN_MESSAGE, failuresOnly: true },
  /** "Forgot password" requests. */
  forgot: { limit: 10, action: "password.reset_rate_limited", details: { form: "forgot" }, message: RESET_MESSAGE },
  /** Answers and new passwords posted to reset links. */
  reset: { limit: 20, action: "password.reset_rate_limited", details: { form: "reset" }, message: RESET_MESSAGE },
} as const satisfies Record<string, LimitRule>;

/**
 * A named per-address limit on a form, its counters in the database so every web process
 * shares them. A refused attempt is counted, not audited: the audit log gets one row per address
 * and window with the count (see {@link auditEndedRefusals}), so a flood cannot bury other events.
 */
export function ipLimit(deps: { db: Db; clock: Clock }, name: "forgot" | "reset"): RateLimitRequestHandler;
export function ipLimit(deps: { db: Db; clock: Clock }, name: "login" | "secondStep", limit: number): RateLimitRequestHandler;
export function ipLimit(deps: { db: Db; clock: Clock }, name: keyof typeof IP_LIMITS, configured?: number): RateLimitRequestHandler {
  const rule: LimitRule = IP_LIMITS[name];
  const limit = configured ?? rule.limit!;
  return rateLimit({
    windowMs: WINDOW_MS,
    limit,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    // express-rate-limit's own option: an answer under 400 (a sign-in's redirect) takes its hit back.
    skipSuccessfulRequests: rule.failuresOnly ?? false,
    store: new KnexRateLimitStore(deps.db, deps.clock, `${name}-ip:`),
    handler: (req, _res, next) => {
      // Set by express-rate-limit before it calls the handler.
      const info = (req as AugmentedRequest).rateLimit!;
      const now = deps.clock.now().getTime();
      const refusal = {
        key: `${name}-ip:${info.key}`,
        windowEndsAtMs: info.resetTime?.getTime() ?? now + WINDOW_MS,
        action: rule.action,
        details: { ...rule.details, limit },
        ip: info.key,
        atMs: now,
      };
      void countRefusal(deps.db, refusal).then(() => next(new HttpError(429, rule.message)), next);
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
