import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import { ipLimit } from "../ip-limit.js";

/** "Forgot password" requests per IP address per 15 minutes. */
export const FORGOT_IP_LIMIT = 10;
/** Answers and new passwords posted to reset links, per IP address per 15 minutes. */
export const RESET_IP_LIMIT = 20;

/**
 * A per-IP limit on a self-service reset form. It does not depend on any username, so it tells
 * nothing about logins; it counts every attempt, as the forms answer alike whatever was typed.
 */
export function resetIpLimit(deps: { db: Db; clock: Clock }, name: "forgot" | "reset", limit: number) {
  return ipLimit(deps, {
    name,
    limit,
    action: "password.reset_rate_limited",
    details: { form: name },
    message: "Too many password reset attempts from your network. Wait a few minutes and try again.",
  });
}
