import { appendAudit, type AuditEntry } from "../platform/audit/audit-log.js";
import type { Clock } from "../shared/clock.js";
import { minutes } from "../shared/clock.js";
import type { Db } from "../shared/db.js";
import { lockWhenSpent, reserveSignInAttempt, settleSignInAttempt } from "./users-store.js";

export interface SignInDeps {
  db: Db;
  clock: Clock;
  login: { maxFailures: number; lockMinutes: number };
  /** Told of each refused guess once recorded, and whether it locked the login (the metrics, wired in src/main/). */
  onRefusedGuess?: (lockedIt: boolean) => void;
}

/** Matches no login: the attempt's statements still run, against no row. */
const NO_LOGIN = 0;

/**
 * Counts a guess (a password, a factor's code) before it is checked: false when the login is
 * locked or its attempts are all taken by guesses still being checked, and the guess must then
 * not be checked at all. `null` (an unknown username) runs the same statement against no row.
 */
export const reserveAttempt = (deps: SignInDeps, userId: number | null): Promise<boolean> =>
  reserveSignInAttempt(deps.db, userId ?? NO_LOGIN, deps.login.maxFailures, deps.clock.now());

/**
 * Every refused guess does the same work in one transaction: the lock when the login's attempts
 * are spent (against no row for an unknown username) and the audit entry. The answer then takes as
 * long whether or not the username exists, so timing does not tell which ones do. Returns true
 * when this failure locked the login.
 */
export async function recordFailure(deps: SignInDeps, userId: number | null, entry: AuditEntry): Promise<boolean> {
  const now = deps.clock.now();
  const locked = await deps.db.transaction(async (trx) => {
    const until = new Date(now.getTime() + minutes(deps.login.lockMinutes));
    const lockedIt = await lockWhenSpent(trx, userId ?? NO_LOGIN, deps.login.maxFailures, until, now);
    await appendAudit(trx, lockedIt ? { ...entry, action: "sign_in.locked" } : entry, now);
    return lockedIt;
  });
  deps.onRefusedGuess?.(locked);
  return locked;
}

/**
 * A right answer: the count is cleared (`clear`), or only the reserved attempt given back
 * (`give_back`: a right password whose second step is still to come, or a refusal that is no
 * guess). False when a lock was set meanwhile: a right answer never lifts a lock.
 */
export const settleAttempt = (deps: SignInDeps, userId: number, how: "clear" | "give_back"): Promise<boolean> =>
  settleSignInAttempt(deps.db, userId, how, deps.clock.now());
