import type { Knex } from "knex";
import type { Db } from "../shared/db.js";
import { HISTORY_DEPTH } from "./password-policy.js";

/**
 * Writes a login's new password hash and everything that goes with it: history, the
 * must-change flag and temporary expiry, an unlocked login, and a new session epoch so
 * every existing session ends. False, with nothing written, when `replacing` is no longer
 * the login's hash.
 */
export async function storePassword(
  trx: Knex.Transaction,
  userId: number,
  passwordHash: string,
  now: Date,
  options: { mustChange?: boolean; temporaryUntil?: Date | null; replacing?: string } = {},
): Promise<boolean> {
  const query = trx("users").where({ id: userId });
  // Only over the hash the holder just proved they knew: a withdrawal or reset in between wins.
  if (options.replacing !== undefined) query.andWhere({ password_hash: options.replacing });
  const updated = await query.update({
    password_hash: passwordHash,
    password_changed_at: now,
    // The first password ever makes the login activated: support links are for logins never activated.
    activated_at: trx.raw("coalesce(activated_at, ?)", [now]),
    must_change_password: options.mustChange ?? false,
    temp_password_expires_at: options.temporaryUntil ?? null,
    failed_sign_ins: 0,
    locked_until: null,
    session_epoch: trx.raw("session_epoch + 1"),
    updated_at: now,
  });
  if (updated !== 1) return false;
  // Temporary passwords are not history: only passwords the holder chose are.
  if (!options.mustChange) await trx("password_history").insert({ user_id: userId, password_hash: passwordHash, created_at: now });
  return true;
}

/**
 * Makes the current password unusable at once and ends every session; with `onlyTemporary`, only
 * while the login is still on a temporary password. False when nothing was changed.
 */
export async function clearPassword(trx: Knex.Transaction, userId: number, now: Date, options: { onlyTemporary?: boolean } = {}): Promise<boolean> {
  const query = trx("users").where({ id: userId });
  if (options.onlyTemporary) query.andWhere({ must_change_password: true });
  const updated = await query.update({ password_hash: null, must_change_password: false, temp_password_expires_at: null, session_epoch: trx.raw("session_epoch + 1"), updated_at: now });
  return updated === 1;
}

/** The hashes of the login's last passwords, newest first, for the history rule. */
export async function recentPasswordHashes(db: Db | Knex.Transaction, userId: number): Promise<string[]> {
  const rows: unknown = await db("password_history").where({ user_id: userId }).orderBy("id", "desc").limit(HISTORY_DEPTH).select("password_hash");
  return (rows as { password_hash: string }[]).map((r) => r.password_hash);
}
