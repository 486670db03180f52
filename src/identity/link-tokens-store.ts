import type { Knex } from "knex";
import { asDate, type Db } from "../shared/db.js";
import { hashToken } from "../shared/tokens.js";

/** `set_password`: the link support or a primary holder has mailed (a new login, a reset they started); `reset`: the self-service link of "Forgot password". */
export type TokenPurpose = "set_password" | "reset";

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

/** How many tokens of that purpose the login was given since `since` (used or not). */
export async function countTokensSince(db: Db | Knex.Transaction, userId: number, purpose: TokenPurpose, since: Date): Promise<number> {
  const row = (await db("reset_tokens").where({ user_id: userId, purpose }).where("created_at", ">", since).count({ n: "*" }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

/**
 * Counts one wrong answer on a live token and spends it when `max` is reached. Returns the
 * new count, or null when the token was no longer live (another request spent it first).
 */
export async function countFailedAnswer(trx: Knex.Transaction, id: number, max: number, now: Date): Promise<number | null> {
  const updated = await trx("reset_tokens").where({ id }).whereNull("used_at").update({ failed_answers: trx.raw("failed_answers + 1") });
  if (updated !== 1) return null;
  const row: unknown = await trx("reset_tokens").where({ id }).first("failed_answers");
  const failures = Number((row as { failed_answers: number | string }).failed_answers);
  if (failures >= max) await trx("reset_tokens").where({ id }).update({ used_at: now });
  return failures;
}

/** Spends every live token of the login, whatever its purpose (its password was just set, or its records are in doubt); returns how many. */
export async function spendAllTokensOf(trx: Knex.Transaction, userId: number, now: Date): Promise<number> {
  return trx("reset_tokens").where({ user_id: userId }).whereNull("used_at").update({ used_at: now });
}
