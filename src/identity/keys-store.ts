import type { Knex } from "knex";
import { asDate, type Db } from "../shared/db.js";
import type { CheckedKey } from "./pgp-key-check.js";

/** A login's OpenPGP key in use (not removed or replaced). */
export interface StoredKey {
  id: number;
  userId: number;
  armoredKey: string;
  fingerprint: string;
  algorithm: string;
  userIds: string[];
  keyCreatedAt: Date;
  expiresAt: Date | null;
  createdAt: Date;
}

const toKey = (r: Record<string, unknown>): StoredKey => ({
  id: Number(r.id),
  userId: Number(r.user_id),
  armoredKey: r.armored_key as string,
  fingerprint: r.fingerprint as string,
  algorithm: r.algorithm as string,
  userIds: JSON.parse(r.user_ids as string) as string[],
  keyCreatedAt: asDate(r.key_created_at)!,
  expiresAt: asDate(r.expires_at),
  createdAt: asDate(r.created_at)!,
});

export async function currentKey(db: Db | Knex.Transaction, userId: number): Promise<StoredKey | null> {
  const row: unknown = await db("pgp_keys").where({ user_id: userId }).whereNull("revoked_at").first();
  return row ? toKey(row as Record<string, unknown>) : null;
}

export async function currentKeysOf(db: Db, userIds: number[]): Promise<Map<number, StoredKey>> {
  if (userIds.length === 0) return new Map();
  const rows: unknown = await db("pgp_keys").whereIn("user_id", userIds).whereNull("revoked_at");
  return new Map((rows as Record<string, unknown>[]).map((r) => [Number(r.user_id), toKey(r)]));
}

/** Puts a checked key in use for the login, retiring the previous one, and records when. */
export async function replaceKey(trx: Knex.Transaction, userId: number, key: CheckedKey, addedBy: number | null, now: Date): Promise<void> {
  await trx("pgp_keys").where({ user_id: userId }).whereNull("revoked_at").update({ revoked_at: now });
  await trx("pgp_keys").insert({
    user_id: userId,
    armored_key: key.armored,
    fingerprint: key.fingerprint,
    algorithm: key.algorithm,
    user_ids: JSON.stringify(key.userIds),
    key_created_at: key.createdAt,
    expires_at: key.expiresAt,
    added_by: addedBy,
    created_at: now,
  });
  await trx("users").where({ id: userId }).update({ key_changed_at: now, updated_at: now });
}

/** Takes the login's key out of use; returns the retired key's fingerprint, if there was one. */
export async function removeKey(trx: Knex.Transaction, userId: number, now: Date): Promise<string | null> {
  const key = await currentKey(trx, userId);
  if (!key) return null;
  await trx("pgp_keys").where({ id: key.id }).update({ revoked_at: now });
  await trx("users").where({ id: userId }).update({ key_changed_at: now, updated_at: now });
  return key.fingerprint;
}
