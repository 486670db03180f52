import type { Knex } from "knex";
import { clearPassword, storePassword } from "./credentials-store.js";

/*
 * The temporary password of a primary reset (resets/decision-service.ts draws and mails it):
 * it must be changed at first sign-in, works only until it expires, is never password
 * history, and stops working when its delivery ends unused.
 */

/** Puts an approved reset's temporary password (hashed before the transaction) in place of the login's password; every session ends. */
export async function giveTemporaryPassword(trx: Knex.Transaction, userId: number, passwordHash: string, expiresAt: Date, now: Date): Promise<void> {
  await storePassword(trx, userId, passwordHash, now, { mustChange: true, temporaryUntil: expiresAt });
}

/**
 * A delivery ended unused (expired or withdrawn): the temporary password stops working if the
 * login is still on it, which ends every session; a password the holder chose since is kept.
 * True when the temporary password was taken away.
 */
export function endTemporaryPassword(trx: Knex.Transaction, userId: number, now: Date): Promise<boolean> {
  return clearPassword(trx, userId, now, { onlyTemporary: true });
}
