import { currentKey } from "./keys-store.js";
import type { Login } from "./users-store.js";
import type { Clock } from "../shared/clock.js";
import type { Db } from "../shared/db.js";
import { composeEncrypted, composeSealed, type ComposedMail } from "../platform/mail/compose.js";
import { formatInZone } from "../shared/formatting.js";
import type { Mailer } from "../platform/mail/mailer.js";
import { NoUsableKeyError, usableRecipientKey } from "../platform/mail/pgp.js";
import { renderMailTemplate } from "../platform/mail/templates.js";

/**
 * The mail of the self-service link ("Forgot password"), composed like the set-password link: the link is a
 * credential, so the mail is PGP/MIME when the login has a usable key on file, else plain
 * text only (no HTML copy, nothing in the subject) sealed to the desk key in the outbox.
 */
export async function selfServiceLinkMail(
  deps: { db: Db; clock: Clock; mailer: Mailer },
  login: Login & { email: string },
  /** `asks`: what the link's page asks beside the link (accounts/self-service-reset.ts, linkProof). */
  link: { url: string; expiresAt: Date; asks: "factor" | "questions" | "none" },
): Promise<ComposedMail> {
  const { mailer } = deps;
  const now = deps.clock.now();
  const data = { username: login.username, displayName: login.displayName, link: link.url, expiresAt: formatInZone(link.expiresAt, mailer.timeZone), asks: link.asks, baseUrl: mailer.baseUrl };
  const { text } = await renderMailTemplate("reset-password", data, false);
  const content = { to: login.email, subject: "Reset your Vouchdesk password", template: "reset-password", text };
  const key = await usableKeyOf(deps.db, login, now);
  return key ? composeEncrypted(mailer.sender, content, key, mailer.deskKey, now) : composeSealed(mailer.sender, content, mailer.deskKey, now);
}

/** The login's key when it can encrypt today; an expired or unusable key means sealed plain mail, as with none. */
async function usableKeyOf(db: Db, login: Login & { email: string }, now: Date) {
  const stored = await currentKey(db, login.id);
  if (!stored) return null;
  try {
    return await usableRecipientKey(login.email, stored.armoredKey, now);
  } catch (err) {
    if (err instanceof NoUsableKeyError) return null;
    throw err;
  }
}
