import { composePassphraseLocked, LOCKED_MESSAGE_FILE, type ComposedMail } from "../platform/mail/compose.js";
import type { Mailer } from "../platform/mail/mailer.js";
import { renderMailTemplate } from "../platform/mail/templates.js";
import type { Clock } from "../shared/clock.js";
import { formatInZone, groupFingerprint } from "../shared/formatting.js";
import type { ResetMailContext } from "./reset-mails.js";

/**
 * The temporary password for a primary holder with no OpenPGP key (DESIGN §3 step 4b): locked
 * with the delivery passphrase read on the callback, signed by the desk, with instructions for
 * /open-message and for GnuPG. The subject and headers hold no secret; the passphrase and the
 * password exist only in this request's memory.
 */
export async function keylessTemporaryPasswordMail(
  mailer: Mailer,
  clock: Clock,
  ctx: ResetMailContext,
  primary: { email: string; displayName: string },
  temporaryPassword: string,
  passphrase: string,
  expiresAt: Date,
): Promise<ComposedMail> {
  const now = clock.now();
  const data = {
    ...ctx,
    displayName: primary.displayName,
    username: ctx.primaryUsername,
    expiresAt: formatInZone(expiresAt, mailer.timeZone),
    signInUrl: `${mailer.baseUrl}/login`,
    openUrl: `${mailer.baseUrl}/open-message`,
    deskKeyUrl: `${mailer.baseUrl}/pgp-key.asc`,
    deskFingerprint: groupFingerprint(mailer.deskKey.fingerprint),
    lockedFile: LOCKED_MESSAGE_FILE,
    baseUrl: mailer.baseUrl,
  };
  const { text: secret } = await renderMailTemplate("temporary-password-locked", { ...data, temporaryPassword }, false);
  const instructions = async (lockedMessage: string) => (await renderMailTemplate("temporary-password-keyless", { ...data, lockedMessage }, false)).text;
  const mail = { to: primary.email, subject: "Your Vouchdesk temporary password", template: "temporary-password-keyless", ticketId: ctx.ticketId };
  return composePassphraseLocked(mailer.sender, mail, instructions, { secret, passphrase }, mailer.deskKey, now);
}
