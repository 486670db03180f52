import { hasActiveFactor, removeAllFactors, unconfirmStaff, type FactorRemoval, type Login } from "../identity/index.js";
import type { Actor } from "../shared/actor.js";
import type { Clock } from "../shared/clock.js";
import type { Db } from "../shared/db.js";
import type { Mailer } from "../platform/mail/mailer.js";
import { done, Refusal, refusedAt, type Result } from "../shared/problems.js";
import { isStaff } from "../shared/roles.js";

type Deps = { db: Db; clock: Clock; mailer: Mailer };

/*
 * Removing someone else's second factors (issue 13 item 7): the primary holder administers its
 * account's secondary logins, an admin the staff logins. A customer's primary loses its factors
 * only through a primary reset whose request says they are lost (resets/), and nobody removes
 * their own here: that is My profile, with a current code.
 */

/** The primary holder removes a secondary login's factors: only one of its own account, else 404. */
export function removeSecondaryFactors(deps: Deps, login: Login, holder: Actor): Promise<Result> {
  if (holder.role !== "primary" || login.role !== "secondary" || login.accountId !== holder.accountId) throw new Refusal("missing", "There is no such login in your account.");
  return removeFactorsOf(deps, login, holder, "by_primary");
}

/** An admin removes a staff member's factors; never a customer's, never the admin's own. */
export function removeStaffFactors(deps: Deps, login: Login, admin: Actor): Promise<Result> {
  if (admin.role !== "admin") throw new Refusal("forbidden", "Only an admin removes a staff member's two-step sign-in.");
  if (!isStaff(login.role)) {
    return Promise.resolve(refusedAt("factors", `${login.username} is a customer login: its two-step sign-in is removed only by a primary reset request that says the second factor is lost (for a secondary login, by its primary holder), never from here.`));
  }
  if (login.id === admin.id) return Promise.resolve(refusedAt("factors", "This is your own login: change your two-step sign-in under My profile, with a current code."));
  return removeFactorsOf(deps, login, admin, "by_admin");
}

/** Every factor of the login, removed in one transaction with its sessions ended, audited and mailed (identity's removeAllFactors). */
async function removeFactorsOf(deps: Deps, login: Login, actor: Actor, why: FactorRemoval): Promise<Result> {
  if (!(await hasActiveFactor(deps.db, login.id))) return refusedAt("factors", `${login.username} has no two-step sign-in to remove.`);
  await deps.db.transaction(async (trx) => {
    await removeAllFactors(trx, deps, login.id, actor, why);
    // Whoever signs in next with the password alone enrols a factor of their own: a second admin
    // confirms the staff login again before it may approve (as after a changed address or a link).
    await unconfirmStaff(trx, login, actor, "factors_removed", deps.clock.now());
  });
  return done();
}
