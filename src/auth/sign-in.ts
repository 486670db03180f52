import { appendAudit } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import { minutes } from "../clock.js";
import type { Db } from "../db.js";
import {
  clearFailedSignIns,
  countFailedSignIn,
  findLoginByUsername,
  lockLogin,
  type Login,
} from "../accounts/users-store.js";
import { decoyPasswordHash, verifyPassword } from "./password-hashing.js";

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

export type SignInResult = { ok: true; login: Login } | { ok: false; reason: SignInFailure };

export async function signIn(deps: SignInDeps, username: string, password: string, ip: string | undefined): Promise<SignInResult> {
  const { db, clock } = deps;
  const now = clock.now();
  const login = await findLoginByUsername(db, username);
  const audit = (action: string, details: Record<string, unknown> = {}) =>
    appendAudit(db, { action, actorId: login?.id ?? null, actor: login?.username ?? null, ip, subject: login ? `user:${login.id}` : null, details }, now);

  // An unknown username is not recorded: people type their password into the wrong field.
  if (!login?.passwordHash) {
    await verifyPassword(await decoyPasswordHash(), password);
    await audit("sign_in.failed", { reason: login ? "no_password_set" : "unknown_user" });
    return { ok: false, reason: "bad_credentials" };
  }
  if (login.lockedUntil && login.lockedUntil > now) {
    await verifyPassword(await decoyPasswordHash(), password);
    await audit("sign_in.refused", { reason: "locked", lockedUntil: login.lockedUntil.toISOString() });
    return { ok: false, reason: "locked" };
  }
  if (!(await verifyPassword(login.passwordHash, password))) {
    const locked = await db.transaction(async (trx) => {
      const failures = await countFailedSignIn(trx, login.id, now);
      if (failures < deps.login.maxFailures) return false;
      await lockLogin(trx, login.id, new Date(now.getTime() + minutes(deps.login.lockMinutes)), now);
      return true;
    });
    await audit(locked ? "sign_in.locked" : "sign_in.failed", { reason: "wrong_password" });
    return { ok: false, reason: locked ? "locked" : "bad_credentials" };
  }
  // The password is right; whatever stops the sign-in now is not a guess to count.
  if (login.disabledAt || (login.accountId !== null && login.accountStatus !== "active")) {
    await audit("sign_in.refused", { reason: login.disabledAt ? "login_disabled" : "account_suspended" });
    return { ok: false, reason: "disabled" };
  }
  if (login.mustChangePassword && login.tempPasswordExpiresAt && login.tempPasswordExpiresAt <= now) {
    await audit("sign_in.refused", { reason: "temporary_password_expired" });
    return { ok: false, reason: "temporary_password_expired" };
  }
  await clearFailedSignIns(db, login.id, now);
  await audit("sign_in.succeeded");
  return { ok: true, login };
}
