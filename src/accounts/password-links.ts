import { appendAudit } from "../audit/audit-log.js";
import { clearPassword } from "../auth/credentials-store.js";
import { newToken, storeToken } from "../auth/reset-tokens-store.js";
import type { Clock } from "../clock.js";
import { hours } from "../clock.js";
import type { Db } from "../db.js";
import { setPasswordMail, type Mailer } from "../mail/mailer.js";
import { enqueue } from "../mail/outbox-store.js";
import { NoUsableKeyError, usableRecipientKey } from "../mail/pgp.js";
import { currentKey } from "./keys-store.js";
import { findLoginById } from "./users-store.js";

export const SET_PASSWORD_LINK_TTL_MS = hours(24);

export interface LinkDeps {
  db: Db;
  clock: Clock;
  mailer: Mailer;
}

export interface LinkRequest {
  userId: number;
  reason: "new" | "reset";
  actor: { id: number; username: string; ip: string | null };
}

/**
 * Mails a login a single-use link to choose its password (valid 24 h). For a reset the old
 * password stops working at once and every session ends. Nobody but the holder ever sees
 * or chooses the password; the link goes PGP/MIME when the login has a usable key.
 * Returns false when the login has no registered address to send it to.
 */
export async function sendSetPasswordLink(deps: LinkDeps, request: LinkRequest): Promise<boolean> {
  const login = await findLoginById(deps.db, request.userId);
  if (!login?.email) return false;
  const token = newToken();
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + SET_PASSWORD_LINK_TTL_MS);
  const mail = await setPasswordMail(
    deps.mailer,
    deps.clock,
    { username: login.username, displayName: login.displayName, email: login.email, armoredKey: await usableKeyOrNull(deps, login.id, login.email) },
    { url: `${deps.mailer.baseUrl}/set-password/${token}`, expiresAt, reason: request.reason, requestedBy: request.actor.username },
  );
  await deps.db.transaction(async (trx) => {
    if (request.reason === "reset") await clearPassword(trx, login.id, now);
    await storeToken(trx, token, login.id, "set_password", expiresAt, request.actor.id, now);
    await enqueue(trx, mail, now);
    await appendAudit(
      trx,
      {
        action: request.reason === "new" ? "password.link_sent" : "password.reset_started",
        actorId: request.actor.id,
        actor: request.actor.username,
        ip: request.actor.ip,
        subject: `user:${login.id}`,
        details: { username: login.username, email: login.email, encrypted: mail.encrypted, expiresAt: expiresAt.toISOString() },
      },
      now,
    );
  });
  return true;
}

/** The login's key when it can encrypt today. An expired or unusable key means plain mail, as with no key. */
async function usableKeyOrNull(deps: LinkDeps, userId: number, email: string): Promise<string | null> {
  const key = await currentKey(deps.db, userId);
  if (!key) return null;
  try {
    await usableRecipientKey(email, key.armoredKey, deps.clock.now());
    return key.armoredKey;
  } catch (err) {
    if (err instanceof NoUsableKeyError) return null;
    throw err;
  }
}
