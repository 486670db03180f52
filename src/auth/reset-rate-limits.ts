import { rateLimit } from "express-rate-limit";
import { appendAudit } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import { minutes } from "../clock.js";
import type { Db } from "../db.js";
import { HttpError } from "../web/errors.js";
import { KnexRateLimitStore } from "../web/rate-limit-store.js";

/** "Forgot password" requests per IP address per 15 minutes. */
export const FORGOT_IP_LIMIT = 10;
/** Answers and new passwords posted to reset links, per IP address per 15 minutes. */
export const RESET_IP_LIMIT = 20;

/**
 * A per-IP limit on a self-service reset form, its counters in the database like the
 * sign-in limit's. It does not depend on any username, so it tells nothing about logins.
 */
export function resetIpLimit(deps: { db: Db; clock: Clock }, name: "forgot" | "reset", limit: number) {
  return rateLimit({
    windowMs: minutes(15),
    limit,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    store: new KnexRateLimitStore(deps.db, deps.clock, `${name}-ip:`),
    handler: (req, _res, next) => {
      void appendAudit(deps.db, { action: "password.reset_rate_limited", ip: req.ip ?? null, details: { form: name } }, deps.clock.now()).then(
        () => next(new HttpError(429, "Too many password reset attempts from your network. Wait a few minutes and try again.")),
        next,
      );
    },
  });
}
