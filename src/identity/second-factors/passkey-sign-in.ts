import type { AuditEntry } from "../../platform/audit/audit-log.js";
import { admitLogin, type SignInResult } from "../sign-in.js";
import { recordFailure, reserveAttempt } from "../sign-in-attempts.js";
import { findLoginById } from "../users-store.js";
import { findPasskeyByCredential } from "./passkeys-store.js";
import { verifyAssertion, type PasskeyAssertion, type PasskeyDeps } from "./passkeys.js";

const METHOD = { method: "passkey" };

/**
 * "Sign in with a passkey": a discoverable credential with user verification is both factors
 * (something held, unlocked by a PIN or a fingerprint), so it signs in alone, with the checks a
 * password sign-in has: the attempt counted toward the lockout before it is checked, a locked or
 * disabled login and a suspended account refused, an expired temporary password or one the
 * desk cleared too. A forced
 * password change still applies afterwards (the login comes back with it).
 */
export async function signInWithPasskey(deps: PasskeyDeps, assertion: PasskeyAssertion): Promise<SignInResult> {
  const passkey = await findPasskeyByCredential(deps.db, assertion.response.id);
  const login = passkey ? await findLoginById(deps.db, passkey.userId) : null;
  const entry = (action: string, details: Record<string, unknown> = {}): AuditEntry => ({
    action,
    actorId: login?.id ?? null,
    actor: login?.username ?? null,
    ip: assertion.ip,
    subject: login ? `user:${login.id}` : null,
    details: { ...METHOD, ...details },
  });
  const reserved = await reserveAttempt(deps, login?.id ?? null);
  if (!login) {
    await recordFailure(deps, null, entry("sign_in.failed", { reason: "unknown_passkey" }));
    return { ok: false, reason: "bad_credentials" };
  }
  if (!reserved) {
    await recordFailure(deps, login.id, entry("sign_in.refused", { reason: "locked", lockedUntil: login.lockedUntil?.toISOString() ?? null }));
    return { ok: false, reason: "locked" };
  }
  if (!(await verifyAssertion(deps, assertion, { userId: login.id, requireUserVerification: true }))) {
    const locked = await recordFailure(deps, login.id, entry("sign_in.failed", { reason: "wrong_passkey" }));
    return { ok: false, reason: locked ? "locked" : "bad_credentials" };
  }
  // A password the desk cleared (a holder's or an admin's reset of this login, a withdrawn
  // temporary password) stops the passkey too: the login comes back through its new password.
  if (login.passwordHash === null) {
    await recordFailure(deps, login.id, entry("sign_in.refused", { reason: "password_cleared" }));
    return { ok: false, reason: "bad_credentials" };
  }
  return admitLogin(deps, login, entry, false);
}
