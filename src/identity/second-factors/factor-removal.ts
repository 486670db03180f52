import type { Knex } from "knex";
import { appendAudit } from "../../platform/audit/audit-log.js";
import { auditedBy, type Actor } from "../../shared/actor.js";
import { bumpSessionEpoch, findLoginById } from "../users-store.js";
import { deletePasskeysOf } from "./passkeys-store.js";
import { deleteRecoveryCodes, deleteTotp } from "./second-factors-store.js";
import { notify, type FactorDeps } from "./second-factors.js";

/**
 * Why someone other than the holder removes every factor of a login: a primary reset whose
 * request said the factor was lost too, the primary holder for a secondary login, an admin for
 * a staff login. The holder's own removal is removeTotp (with a current code).
 */
export type FactorRemoval = "lost_with_reset" | "by_primary" | "by_admin";

const NOTICE = { lost_with_reset: "removed_with_reset", by_primary: "removed_by_primary", by_admin: "removed_by_admin" } as const;

/** What was removed: nothing when the login had no factor. */
export interface RemovedFactors {
  authenticatorApp: boolean;
  passkeys: number;
  recoveryCodes: number;
}

export const removedAny = (r: RemovedFactors): boolean => r.authenticatorApp || r.passkeys > 0 || r.recoveryCodes > 0;

/**
 * Removes every second factor of the login in the caller's transaction (whose service checked
 * who may): the authenticator app (active or pending), the passkeys, the recovery codes, and every session of
 * the login ends. Audited with who and why (never a secret); when anything was there, the
 * login's address is told. The caller's rules decide; this only does it.
 */
export async function removeAllFactors(trx: Knex.Transaction, deps: Pick<FactorDeps, "mailer" | "clock">, userId: number, by: Actor, why: FactorRemoval, details: Record<string, unknown> = {}): Promise<RemovedFactors> {
  const now = deps.clock.now();
  const removed: RemovedFactors = {
    authenticatorApp: (await deleteTotp(trx, userId)) > 0,
    passkeys: await deletePasskeysOf(trx, userId),
    recoveryCodes: await deleteRecoveryCodes(trx, userId),
  };
  await bumpSessionEpoch(trx, userId, now);
  const login = await findLoginById(trx, userId);
  await appendAudit(trx, { ...auditedBy(by), action: "second_factor.all_removed", subject: `user:${userId}`, details: { ...details, why, username: login?.username, ...removed } }, now);
  // The remover's address is not the holder's business: the notice names no IP.
  if (removedAny(removed)) await notify(deps, trx, userId, NOTICE[why], null);
  return removed;
}
