import { appendAudit, type AuditEntry } from "../../platform/audit/audit-log.js";
import { minutes } from "../../shared/clock.js";
import { recordFailure, reserveAttempt, settleAttempt, type SignInDeps } from "../sign-in-attempts.js";
import { findLoginById, type Login } from "../users-store.js";
import type { FactorDeps, FactorMethod, FactorProof } from "./second-factors.js";

/** How long the second step waits after the password: a code is at hand or the sign-in starts over. */
export const SECOND_STEP_LIFETIME_MS = minutes(5);

/** A sign-in whose password was right, waiting for its factor's code (kept in the session, not signed in). */
export interface PendingSignIn {
  userId: number;
  /** The login's session epoch at the password: a password change or an ended session meanwhile voids it. */
  epoch: number;
  startedAt: number;
}

export const pendingExpired = (pending: PendingSignIn, now: Date): boolean => now.getTime() - pending.startedAt > SECOND_STEP_LIFETIME_MS;

export type SecondStepFailure = "wrong_code" | "locked" | "expired" | "void";
export type SecondStepResult = { ok: true; login: Login; method: FactorMethod } | { ok: false; reason: SecondStepFailure };

/**
 * The second step of a sign-in: a proof of the login's factor (a code, a passkey). A wrong one
 * counts toward the same lockout as a wrong password, counted before it is checked; the count is
 * cleared only here, once the proof is right, and never over a lock.
 */
export async function completeSecondStep(deps: SignInDeps & FactorDeps, pending: PendingSignIn, proof: FactorProof, ip: string | undefined): Promise<SecondStepResult> {
  const { db, clock } = deps;
  const now = clock.now();
  const login = await findLoginById(db, pending.userId);
  if (!login) return { ok: false, reason: "void" };
  const entry = (action: string, details: Record<string, unknown> = {}): AuditEntry => ({ action, actorId: login.id, actor: login.username, ip, subject: `user:${login.id}`, details });

  if (pendingExpired(pending, now)) {
    await appendAudit(db, entry("sign_in.refused", { reason: "second_step_expired" }), now);
    return { ok: false, reason: "expired" };
  }
  if (login.sessionEpoch !== pending.epoch || login.disabledAt || (login.accountId !== null && login.accountStatus !== "active")) {
    await appendAudit(db, entry("sign_in.refused", { reason: "changed_during_second_step" }), now);
    return { ok: false, reason: "void" };
  }
  // Counted before the code is checked: parallel codes cannot outrun the lockout (sign-in-attempts.ts).
  if (!(await reserveAttempt(deps, login.id))) {
    await recordFailure(deps, login.id, entry("sign_in.refused", { reason: "locked", lockedUntil: login.lockedUntil?.toISOString() ?? null }));
    return { ok: false, reason: "locked" };
  }
  const method = await proof.check(login);
  if (!method) {
    const locked = await recordFailure(deps, login.id, entry("sign_in.failed", { reason: `wrong_second_factor_${proof.kind}` }));
    return { ok: false, reason: locked ? "locked" : "wrong_code" };
  }
  if (!(await settleAttempt(deps, login.id, "clear"))) {
    await appendAudit(db, entry("sign_in.refused", { reason: "locked_meanwhile", secondFactor: method }), now);
    return { ok: false, reason: "locked" };
  }
  await appendAudit(db, entry("sign_in.succeeded", { secondFactor: method }), now);
  return { ok: true, login, method };
}
