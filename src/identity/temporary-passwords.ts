import type { Knex } from "knex";
import { clearPassword, storePassword } from "./credentials-store.js";
import { findLoginById } from "./users-store.js";

// A temporary password a support step gives a login, and its end when it was never used:
// the resets domain drives both, in its own transaction, without writing identity's tables.

/** Replaces the login's password with a temporary one (its hash) that must be changed before `until`; every session ends. */
export async function giveTemporaryPassword(trx: Knex.Transaction, userId: number, hash: string, until: Date, now: Date): Promise<void> {
  await storePassword(trx, userId, hash, now, { mustChange: true, temporaryUntil: until });
}

/**
 * Makes an unused temporary password stop working at once (every session ends). A login that
 * has already replaced it with its own password keeps that one.
 */
export async function endTemporaryPassword(trx: Knex.Transaction, userId: number, now: Date): Promise<void> {
  const login = await findLoginById(trx, userId);
  if (login?.mustChangePassword) await clearPassword(trx, userId, now);
}
