import { appendAudit, type AuditEntry } from "../platform/audit/audit-log.js";
import { findLoginByUsername, type Login } from "./users-store.js";
import { decoyPasswordHash, verifyPassword } from "./password-hashing.js";
import { hasActiveFactor } from "./second-factors/second-factors.js";
import { recordFailure, reserveAttempt, settleAttempt, type SignInDeps } from "./sign-in-attempts.js";


/**
 * Why a sign-in failed. Only `temporary_password_expired` is ever shown as such, and only
 * after the right password was given; every other reason shows one generic message.
 */
export type SignInFailure = "bad_credentials" | "locked" | "disabled" | "temporary_password_expired";

/** With `secondStep`, the password was right but the login is not signed in until its factor's code is (second-step.ts). */
export type SignInResult = { ok: true; login: Login; secondStep: boolean } | { ok: false; reason: SignInFailure };

export async function signIn(deps: SignInDeps, username: string, password: string, ip: string | undefined): Promise<SignInResult> {
  const { db } = deps;
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

  // The attempt is counted before the password is checked, so parallel guesses cannot outrun the
  // lockout. Every wrong case (unknown user, locked, wrong password) runs the same statements:
  // the reservation, one Argon2 verification, the failure's transaction.
  const known = login?.passwordHash ? { ...login, passwordHash: login.passwordHash } : null;
  const reserved = await reserveAttempt(deps, known?.id ?? null);
  if (!known) {
    await verifyPassword(await decoyPasswordHash(), password);
    await recordFailure(deps, null, entry("sign_in.failed", { reason: login ? "no_password_set" : "unknown_user" }));
    return { ok: false, reason: "bad_credentials" };
  }
  if (!reserved) {
    await verifyPassword(await decoyPasswordHash(), password);
    // Out of attempts but not yet locked (guesses still in flight): this refusal locks it.
    await recordFailure(deps, known.id, entry("sign_in.refused", { reason: "locked", lockedUntil: known.lockedUntil?.toISOString() ?? null }));
    return { ok: false, reason: "locked" };
  }
  if (!(await verifyPassword(known.passwordHash, password))) {
    const locked = await recordFailure(deps, known.id, entry("sign_in.failed", { reason: "wrong_password" }));
    return { ok: false, reason: locked ? "locked" : "bad_credentials" };
  }
  // With a factor only the attempt is given back: a known password must not reset the count of guessed codes.
  return admitLogin(deps, known, entry, await hasActiveFactor(db, known.id));
}

/** Builds a sign-in's audit entry about its login. */
export type SignInEntry = (action: string, details?: Record<string, unknown>) => AuditEntry;

/**
 * The credential was right (a password; a passkey, which is both factors): whatever stops the
 * sign-in now is not a guess to count. A disabled login, a suspended account or an expired
 * temporary password refuse it; with `secondStep` the login still owes its factor, so only the
 * attempt is given back, else the count is cleared. `details` go on the success's audit entry.
 */
export async function admitLogin(deps: SignInDeps, known: Login, entry: SignInEntry, secondStep: boolean, details: Record<string, unknown> = {}): Promise<SignInResult> {
  const { db, clock } = deps;
  const now = clock.now();
  if (known.disabledAt || (known.accountId !== null && known.accountStatus !== "active")) {
    await settleAttempt(deps, known.id, "give_back");
    await appendAudit(db, entry("sign_in.refused", { reason: known.disabledAt ? "login_disabled" : "account_suspended" }), now);
    return { ok: false, reason: "disabled" };
  }
  if (known.mustChangePassword && known.tempPasswordExpiresAt && known.tempPasswordExpiresAt <= now) {
    await settleAttempt(deps, known.id, "give_back");
    await appendAudit(db, entry("sign_in.refused", { reason: "temporary_password_expired" }), now);
    return { ok: false, reason: "temporary_password_expired" };
  }
  if (!(await settleAttempt(deps, known.id, secondStep ? "give_back" : "clear"))) {
    // Guesses in flight locked the login meanwhile: a right password does not lift it.
    await appendAudit(db, entry("sign_in.refused", { reason: "locked_meanwhile" }), now);
    return { ok: false, reason: "locked" };
  }
  await appendAudit(db, secondStep ? entry("sign_in.password_accepted", { next: "second_factor" }) : entry("sign_in.succeeded", details), now);
  return { ok: true, login: known, secondStep };
}
