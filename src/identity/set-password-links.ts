import type { Actor } from "../shared/actor.js";
import type { Knex } from "knex";
import { appendAudit } from "../platform/audit/audit-log.js";
import { clearPassword } from "./credentials-store.js";
import { storeToken } from "./link-tokens-store.js";
import { newToken } from "../shared/tokens.js";
import { hours } from "../shared/clock.js";
import type { ComposedMail } from "../platform/mail/compose.js";
import { setPasswordMail, type MailingDeps } from "../platform/mail/mailer.js";
import { enqueue } from "../platform/mail/outbox-store.js";
import { NoUsableKeyError, usableRecipientKey } from "../platform/mail/pgp.js";
import { currentKey } from "./keys-store.js";

const SET_PASSWORD_LINK_TTL_MS = hours(24);

export type LinkDeps = MailingDeps;

export interface LinkTarget {
  id?: number;
  username: string;
  displayName: string;
  email: string;
}

/** A composed link mail and its token, ready to be recorded in a transaction. */
export interface PreparedLink {
  token: string;
  expiresAt: Date;
  mail: ComposedMail;
  reason: "new" | "reset";
}

/**
 * Composes the single-use set-password link mail (valid 24 h) before any transaction:
 * PGP/MIME when the login has a usable key, plain text otherwise. Nobody but the holder
 * ever sees or chooses the password.
 */
export async function prepareSetPasswordLink(deps: LinkDeps, target: LinkTarget, reason: "new" | "reset", actor: Actor): Promise<PreparedLink> {
  const token = newToken();
  const expiresAt = new Date(deps.clock.now().getTime() + SET_PASSWORD_LINK_TTL_MS);
  const armoredKey = target.id === undefined ? null : await usableKeyOrNull(deps, target.id, target.email);
  const mail = await setPasswordMail(deps.mailer, deps.clock, { ...target, armoredKey }, {
    url: `${deps.mailer.baseUrl}/set-password/${token}`,
    expiresAt,
    reason,
    requestedBy: actor.username,
  });
  return { token, expiresAt, mail, reason };
}

/**
 * Records a prepared link in the caller's transaction: for a reset the old password stops
 * working and every session ends; earlier links die; the mail is queued; all audited.
 */
export async function recordSetPasswordLink(trx: Knex.Transaction, link: PreparedLink, userId: number, actor: Actor, now: Date): Promise<void> {
  if (link.reason === "reset") await clearPassword(trx, userId, now);
  await storeToken(trx, link.token, userId, "set_password", link.expiresAt, actor.id, now);
  await enqueue(trx, link.mail, now);
  await appendAudit(
    trx,
    {
      action: link.reason === "new" ? "password.link_sent" : "password.reset_started",
      actorId: actor.id,
      actor: actor.username,
      ip: actor.ip,
      subject: `user:${userId}`,
      details: { email: link.mail.to, encrypted: link.mail.encrypted, expiresAt: link.expiresAt.toISOString() },
    },
    now,
  );
}

/** The login's key when it can encrypt today; an expired or unusable key means plain mail, as with none. */
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
