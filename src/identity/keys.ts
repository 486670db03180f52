import type { Knex } from "knex";
import { currentKey, removeKey, replaceKey, type StoredKey } from "./keys-store.js";
import type { CheckedKey } from "./pgp-key-check.js";

/*
 * A login's OpenPGP key: at most one in use. A key goes in only once checkPublicKey has found
 * it usable for the login's registered address; putting one in or taking it out dates the
 * login's key change, which the reset's recent-change rule reads.
 */

/** Puts a checked key in use for the login, retiring the one before; returns the retired key, if there was one. */
export async function putKeyInUse(trx: Knex.Transaction, userId: number, key: CheckedKey, addedBy: number | null, now: Date): Promise<StoredKey | null> {
  const previous = await currentKey(trx, userId);
  await replaceKey(trx, userId, key, addedBy, now);
  return previous;
}

/** Takes the login's key out of use; returns the retired key's fingerprint, or null when it had none. */
export function takeKeyOutOfUse(trx: Knex.Transaction, userId: number, now: Date): Promise<string | null> {
  return removeKey(trx, userId, now);
}
