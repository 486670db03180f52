import { appendAudit, type AuditEntry } from "../platform/audit/audit-log.js";
import type { Clock } from "../shared/clock.js";
import { minutes } from "../shared/clock.js";
import type { Db } from "../shared/db.js";
import {
  clearFailedSignIns,
  countFailedSignIn,
  findLoginByUsername,
  lockLogin,
  type Login,
} from "./users-store.js";
import { decoyPasswordHash, verifyPassword } from "./password-hashing.js";
import { hasActiveFactor } from "./second-factors/second-factors.js";

export interface SignInDeps {
  db: Db;
  clock: Clock;
  login: { maxFailures: number; lockMinutes: number };
}

/**
 * Why a sign-in failed. Only `temporary_password_expired` is ever shown as such, and only
 * after the right password was given; every other reason shows one generic message.
 */
export type SignInFailure = "bad_credentials" | "locked" | "disabled" | "temporary_password_expired";

/** With `secondStep`, the password was right but the login is not signed in until its factor's code is (second-step.ts). */
export type SignInResult = { ok: true; login: Login; secondStep: boolean } | { ok: false; reason: SignInFailure };

export async function signIn(deps: SignInDeps, username: string, password: string, ip: string | undefined): Promise<SignInResult> {
  const { db, clock } = deps;
  const now = clock.now();
  const login = await findLoginByUsername(db, username);
  // An unknown username is not written down: people type their password into the wrong field.
  const entry = (action: string, details: Record<string, unknown> = {}): AuditEntry => ({
    action,
    actorId: login?.id ?? null,
    actor: login?.username ?? null,
    ip,
    subject: login ? `user:${login.id}` : null,
    details,
  });

  if (!login?.passwordHash) {
    await verifyPassword(await decoyPasswordHash(), password);
    await recordFailure(deps, null, entry("sign_in.failed", { reason: login ? "no_password_set" : "unknown_user" }));
    return { ok: false, reason: "bad_credentials" };
  }
  if (login.lockedUntil && login.lockedUntil > now) {
    await verifyPassword(await decoyPasswordHash(), password);
    await recordFailure(deps, null, entry("sign_in.refused", { reason: "locked", lockedUntil: login.lockedUntil.toISOString() }));
    return { ok: false, reason: "locked" };
  }
  if (!(await verifyPassword(login.passwordHash, password))) {
    const locked = await recordFailure(deps, login.id, entry("sign_in.failed", { reason: "wrong_password" }));
    return { ok: false, reason: locked ? "locked" : "bad_credentials" };
  }
  // The password is right; whatever stops the sign-in now is not a guess to count.
  if (login.disabledAt || (login.accountId !== null && login.accountStatus !== "active")) {
    await appendAudit(db, entry("sign_in.refused", { reason: login.disabledAt ? "login_disabled" : "account_suspended" }), now);
    return { ok: false, reason: "disabled" };
  }
  if (login.mustChangePassword && login.tempPasswordExpiresAt && login.tempPasswordExpiresAt <= now) {
    await appendAudit(db, entry("sign_in.refused", { reason: "temporary_password_expired" }), now);
    return { ok: false, reason: "temporary_password_expired" };
  }
  // The failure count stays until the second step passes: a known password must not reset the count of guessed codes.
  if (await hasActiveFactor(db, login.id)) {
    await appendAudit(db, entry("sign_in.password_accepted", { next: "second_factor" }), now);
    return { ok: true, login, secondStep: true };
  }
  await clearFailedSignIns(db, login.id, now);
  await appendAudit(db, entry("sign_in.succeeded"), now);
  return { ok: true, login, secondStep: false };
}

/** Matches no login: the failure counter's statement still runs, against no row. */
const NO_LOGIN = 0;

/**
 * Every refused guess does the same work in one transaction: the failure counter's update
 * (against `countAgainst`, or no row for an unknown username or a locked login) and the audit
 * entry. The answer then takes as long whether or not the username exists, so timing does not
 * tell which ones do. Returns true when this failure locked the login.
 */
export function recordFailure(deps: SignInDeps, countAgainst: number | null, entry: AuditEntry): Promise<boolean> {
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    const failures = await countFailedSignIn(trx, countAgainst ?? NO_LOGIN, now);
    const locked = countAgainst !== null && failures >= deps.login.maxFailures;
    if (locked) await lockLogin(trx, countAgainst, new Date(now.getTime() + minutes(deps.login.lockMinutes)), now);
    await appendAudit(trx, locked ? { ...entry, action: "sign_in.locked" } : entry, now);
    return locked;
  });
}
