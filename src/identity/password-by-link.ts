import type { Knex } from "knex";
import type { Clock } from "../shared/clock.js";
import type { Db } from "../shared/db.js";
import { applyNewPassword, type Alongside, type PasswordChangeDeps } from "./password-change.js";
import { findLiveToken, spendToken, type StoredToken, type TokenPurpose } from "./link-tokens-store.js";
import { findLoginById, type Login } from "./users-store.js";

/**
 * A password set through a mailed single-use link (`/set-password/:token`,
 * `/reset-password/:token`): the link is live only while its token is and its login may sign
 * in, and the token is spent in the same transaction as the new password.
 */

export interface LiveLink {
  token: StoredToken;
  login: Login;
}

/** The link's token and login when the token is live and the login may still use it; else null. */
export async function findLiveLink(deps: { db: Db; clock: Clock }, rawToken: string, purpose: TokenPurpose): Promise<LiveLink | null> {
  const token = await findLiveToken(deps.db, rawToken, purpose, deps.clock.now());
  const login = token ? await findLoginById(deps.db, token.userId) : null;
  if (!token || !login || login.disabledAt) return null;
  return { token, login };
}

/** Another request spent the token first: the transaction rolls back. */
class LinkAlreadySpent extends Error {}

/**
 * Sets the password the holder chose through a link, spending the token in the same
 * transaction (and whatever else `alongside` does there). False when another request
 * spent the token first: nothing was changed.
 */
export async function applyPasswordByLink(
  deps: PasswordChangeDeps,
  link: LiveLink,
  newPassword: string,
  audit: { action: string; ip: string | null; details?: Record<string, unknown> },
  alongside?: Alongside,
): Promise<boolean> {
  const now = deps.clock.now();
  try {
    await applyNewPassword(deps, link.login.id, newPassword, { ...audit, actorId: link.login.id, actor: link.login.username }, {
      alongside: async (trx: Knex.Transaction) => {
        if (!(await spendToken(trx, link.token.id, now))) throw new LinkAlreadySpent();
        await alongside?.(trx);
      },
    });
    return true;
  } catch (err) {
    if (err instanceof LinkAlreadySpent) return false;
    throw err;
  }
}
