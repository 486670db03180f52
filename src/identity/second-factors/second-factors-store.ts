import type { Knex } from "knex";
import { asDate, type Db } from "../../shared/db.js";

type Conn = Db | Knex.Transaction;

export interface TotpRow {
  userId: number;
  secretSealed: string;
  lastUsedStep: number | null;
  createdAt: Date;
  /** Null while the enrolment waits for its first correct code. */
  activatedAt: Date | null;
}

export async function findTotp(db: Conn, userId: number): Promise<TotpRow | null> {
  const row = (await db("totp_factors").where({ user_id: userId }).first()) as Record<string, unknown> | undefined;
  if (!row) return null;
  return {
    userId,
    secretSealed: row.secret_sealed as string,
    lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
    createdAt: asDate(row.created_at)!,
    activatedAt: asDate(row.activated_at),
  };
}

/** Puts a new enrolment in place of a pending one; never over an active factor (returns false then). */
export async function storePendingTotp(trx: Knex.Transaction, userId: number, secretSealed: string, now: Date): Promise<boolean> {
  await trx("totp_factors").where({ user_id: userId }).whereNull("activated_at").delete();
  const inserted = (await trx("totp_factors").insert({ user_id: userId, secret_sealed: secretSealed, created_at: now }).onConflict("user_id").ignore().returning("id")) as unknown[];
  return inserted.length === 1;
}

/**
 * Takes the code of `step`: only when no code of this step or a later one was taken before
 * (one statement, so two requests with the same code cannot both pass). With `activating` (the
 * sealed secret the code was checked against), the pending enrolment becomes the login's factor,
 * only while it still holds that secret: one started again meanwhile is not activated.
 */
export async function takeTotpStep(db: Conn, userId: number, step: number, now: Date, activating?: string): Promise<boolean> {
  const query = db("totp_factors")
    .where({ user_id: userId })
    .where((q) => q.whereNull("last_used_step").orWhere("last_used_step", "<", step));
  if (activating !== undefined) query.whereNull("activated_at").andWhere({ secret_sealed: activating });
  else query.whereNotNull("activated_at");
  return (await query.update(activating !== undefined ? { last_used_step: step, activated_at: now } : { last_used_step: step })) === 1;
}

export async function deleteTotp(trx: Knex.Transaction, userId: number): Promise<number> {
  return trx("totp_factors").where({ user_id: userId }).delete();
}

export async function hasActiveTotp(db: Conn, userId: number): Promise<boolean> {
  return Boolean(await db("totp_factors").where({ user_id: userId }).whereNotNull("activated_at").first("id"));
}

/** Replaces every recovery code of the login by these (hashes only). */
export async function replaceRecoveryCodes(trx: Knex.Transaction, userId: number, hashes: string[], now: Date): Promise<void> {
  await trx("recovery_codes").where({ user_id: userId }).delete();
  await trx("recovery_codes").insert(hashes.map((code_hash) => ({ user_id: userId, code_hash, created_at: now })));
}

export async function deleteRecoveryCodes(trx: Knex.Transaction, userId: number): Promise<number> {
  return trx("recovery_codes").where({ user_id: userId }).delete();
}

/** Spends an unused code; false when it is not one of the login's or was used already (one statement: once only). */
export async function spendRecoveryCode(db: Conn, userId: number, hash: string, now: Date): Promise<boolean> {
  return (await db("recovery_codes").where({ user_id: userId, code_hash: hash }).whereNull("used_at").update({ used_at: now })) === 1;
}

export async function countUnusedRecoveryCodes(db: Conn, userId: number): Promise<number> {
  const row = (await db("recovery_codes").where({ user_id: userId }).whereNull("used_at").count({ n: "*" }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

/** One stored authenticator secret (any login's): the start-up check opens it to prove the data key is the one that sealed them. */
export async function anySealedTotp(db: Conn): Promise<{ userId: number; secretSealed: string } | null> {
  const row = (await db("totp_factors").select("user_id", "secret_sealed").orderBy("id").first()) as { user_id: number; secret_sealed: string } | undefined;
  return row ? { userId: row.user_id, secretSealed: row.secret_sealed } : null;
}
