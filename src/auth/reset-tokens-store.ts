import { createHash, randomBytes } from "node:crypto";
import type { Knex } from "knex";
import { asDate, type Db } from "../db.js";

export type TokenPurpose = "set_password" | "reset";

/** A new link token: 256 bits from the CSPRNG, URL-safe. Only its hash is ever stored. */
export const newToken = () => randomBytes(32).toString("base64url");
export const hashToken = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

export interface StoredToken {
  id: number;
  userId: number;
  purpose: TokenPurpose;
  expiresAt: Date;
  usedAt: Date | null;
  failedAnswers: number;
}

/** Stores a new token for the login and spends every earlier unused one of the same purpose. */
export async function storeToken(
  trx: Knex.Transaction,
  token: string,
  userId: number,
  purpose: TokenPurpose,
  expiresAt: Date,
  createdBy: number | null,
  now: Date,
): Promise<void> {
  await trx("reset_tokens").where({ user_id: userId, purpose }).whereNull("used_at").update({ used_at: now });
  await trx("reset_tokens").insert({ user_id: userId, purpose, token_hash: hashToken(token), expires_at: expiresAt, created_by: createdBy, created_at: now });
}

/** The token's record when it is of that purpose, unused and unexpired; else null. */
export async function findLiveToken(db: Db | Knex.Transaction, token: string, purpose: TokenPurpose, now: Date): Promise<StoredToken | null> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const row: unknown = await db("reset_tokens").where({ token_hash: hashToken(token), purpose }).whereNull("used_at").where("expires_at", ">", now).first();
  if (!row) return null;
  const r = row as Record<string, unknown>;
  return { id: Number(r.id), userId: Number(r.user_id), purpose, expiresAt: asDate(r.expires_at)!, usedAt: null, failedAnswers: Number(r.failed_answers) };
}

/** Marks the token used; false when another request spent it first. */
export async function spendToken(trx: Knex.Transaction, id: number, now: Date): Promise<boolean> {
  return (await trx("reset_tokens").where({ id }).whereNull("used_at").update({ used_at: now })) === 1;
}
