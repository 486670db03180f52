import type { Knex } from "knex";
import { countFailedAnswer, spendAllTokensOf, storeToken, type TokenPurpose } from "./link-tokens-store.js";

/*
 * The rules of mailed links' tokens (newToken and hashToken: shared/tokens.ts): a login has at
 * most one live link of each purpose; a link is spent when used, replaced, burnt by wrong
 * answers, or when its login's password is set or its records fall in doubt.
 */

/** Gives the login a new live link of `purpose` (the token was drawn before the transaction, for its mail), spending any earlier one. */
export function issueLinkToken(trx: Knex.Transaction, token: string, userId: number, purpose: TokenPurpose, expiresAt: Date, createdBy: number | null, now: Date): Promise<void> {
  return storeToken(trx, token, userId, purpose, expiresAt, createdBy, now);
}

/** Counts one wrong pair of answers on a live link, which is spent (burnt) at `max`: the new count, or null when the link was no longer live. */
export function countWrongAnswers(trx: Knex.Transaction, tokenId: number, max: number, now: Date): Promise<number | null> {
  return countFailedAnswer(trx, tokenId, max, now);
}

/** Spends every live link of the login, whatever its purpose (its password was just set, or its records are in doubt); returns how many. */
export function spendLinksOf(trx: Knex.Transaction, userId: number, now: Date): Promise<number> {
  return spendAllTokensOf(trx, userId, now);
}
