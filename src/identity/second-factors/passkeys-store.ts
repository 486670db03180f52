import type { Knex } from "knex";
import { asDate, type Db } from "../../shared/db.js";

type Conn = Db | Knex.Transaction;

/** A passkey as its holder's page lists it: no key material. */
export interface PasskeySummary {
  id: number;
  name: string;
  /** `multiDevice`: synced by a provider (a phone's or a password manager's passkey); `singleDevice`: bound to one authenticator (a security key). */
  deviceType: string;
  backedUp: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** What an assertion is checked against. */
export interface StoredPasskey extends PasskeySummary {
  userId: number;
  credentialId: string;
  publicKey: string;
  signCount: number;
  transports: string[];
}

export interface NewPasskey {
  userId: number;
  credentialId: string;
  publicKey: string;
  signCount: number;
  transports: string[];
  name: string;
  deviceType: string;
  backedUp: boolean;
}

function toPasskey(row: Record<string, unknown>): StoredPasskey {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    credentialId: row.credential_id as string,
    publicKey: row.public_key as string,
    signCount: Number(row.sign_count),
    transports: (row.transports as string) ? (row.transports as string).split(",") : [],
    name: row.name as string,
    deviceType: row.device_type as string,
    backedUp: Boolean(row.backed_up),
    createdAt: asDate(row.created_at)!,
    lastUsedAt: asDate(row.last_used_at),
  };
}

const summary = ({ id, name, deviceType, backedUp, createdAt, lastUsedAt }: StoredPasskey): PasskeySummary => ({ id, name, deviceType, backedUp, createdAt, lastUsedAt });

/** The login's passkeys, oldest first. */
export async function passkeysOf(db: Conn, userId: number): Promise<PasskeySummary[]> {
  return (await storedPasskeysOf(db, userId)).map(summary);
}

/** With their credential ids: what registration excludes and a second step allows. */
export async function storedPasskeysOf(db: Conn, userId: number): Promise<StoredPasskey[]> {
  const rows = (await db("passkeys").where({ user_id: userId }).orderBy("id")) as Record<string, unknown>[];
  return rows.map(toPasskey);
}

/** The passkey an assertion names, of any login (sign-in alone) or only of `userId` (a second step, a step-up). */
export async function findPasskeyByCredential(db: Conn, credentialId: string, userId?: number): Promise<StoredPasskey | null> {
  const query = db("passkeys").where({ credential_id: credentialId });
  if (userId !== undefined) query.andWhere({ user_id: userId });
  const row = (await query.first()) as Record<string, unknown> | undefined;
  return row ? toPasskey(row) : null;
}

export async function hasPasskey(db: Conn, userId: number): Promise<boolean> {
  return Boolean(await db("passkeys").where({ user_id: userId }).first("id"));
}

/** Stores a verified registration; false when that credential is registered already (to this login or another). */
export async function insertPasskey(trx: Knex.Transaction, passkey: NewPasskey, now: Date): Promise<boolean> {
  const row = {
    user_id: passkey.userId,
    credential_id: passkey.credentialId,
    public_key: passkey.publicKey,
    sign_count: passkey.signCount,
    transports: passkey.transports.join(","),
    name: passkey.name,
    device_type: passkey.deviceType,
    backed_up: passkey.backedUp,
    created_at: now,
  };
  // One statement: two registrations of one credential racing cannot both be stored.
  const inserted = (await trx("passkeys").insert(row).onConflict("credential_id").ignore().returning("id")) as unknown[];
  return inserted.length === 1;
}

/**
 * Records a verified use: the new counter and the time. Only while the counter is still the one
 * the assertion was checked against (one statement): two uses racing with one counter value
 * cannot both pass. Authenticators that keep no counter (always 0) are matched on 0.
 */
export async function recordPasskeyUse(db: Conn, passkey: StoredPasskey, use: { signCount: number; backedUp: boolean }, now: Date): Promise<boolean> {
  const updated = await db("passkeys")
    .where({ id: passkey.id, sign_count: passkey.signCount })
    .update({ sign_count: use.signCount, backed_up: use.backedUp, last_used_at: now });
  return updated === 1;
}

/** Removes one of the login's passkeys; false when it is not one of the login's. */
export async function deletePasskey(trx: Knex.Transaction, userId: number, passkeyId: number): Promise<boolean> {
  return (await trx("passkeys").where({ id: passkeyId, user_id: userId }).delete()) === 1;
}

/** Removes every passkey of the login (a lost-factor reset's delivery); how many there were. */
export async function deletePasskeysOf(trx: Knex.Transaction, userId: number): Promise<number> {
  return trx("passkeys").where({ user_id: userId }).delete();
}
