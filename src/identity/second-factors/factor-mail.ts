import type { Clock } from "../../shared/clock.js";
import { formatInZone } from "../../shared/formatting.js";
import { composePlain, type ComposedMail } from "../../platform/mail/compose.js";
import type { Mailer } from "../../platform/mail/mailer.js";
import { renderMailTemplate } from "../../platform/mail/templates.js";

/** What happened to a login's second factors; each is mailed to the login (ASVS v5 6.3.7). */
export type FactorEvent =
  | "totp_added"
  | "totp_removed"
  | "passkey_added"
  | "passkey_removed"
  | "recovery_codes_regenerated"
  | "recovery_code_used"
  | "removed_with_reset"
  | "removed_by_primary"
  | "removed_by_admin";

const REMOVED_ADVICE = "Sign-in now asks only your password. Set up two-step sign-in again under My profile, Two-step sign-in; if you did not expect this, tell support at once.";

const NOTICES: Record<FactorEvent, { subject: string; happened: string; advice?: string }> = {
  totp_added: { subject: "An authenticator app was added to your Vouchdesk login", happened: "An authenticator app was added to the two-step sign-in of your Vouchdesk login" },
  totp_removed: { subject: "The authenticator app was removed from your Vouchdesk login", happened: "The authenticator app was removed from the two-step sign-in of your Vouchdesk login" },
  passkey_added: { subject: "A passkey was added to your Vouchdesk login", happened: "A passkey was added to the two-step sign-in of your Vouchdesk login; it signs in alone" },
  passkey_removed: { subject: "A passkey was removed from your Vouchdesk login", happened: "A passkey was removed from the two-step sign-in of your Vouchdesk login" },
  recovery_codes_regenerated: { subject: "New recovery codes for your Vouchdesk login", happened: "New recovery codes were made for your Vouchdesk login; the earlier ones no longer work" },
  recovery_code_used: { subject: "A recovery code of your Vouchdesk login was used", happened: "A recovery code was used to sign in, to confirm a step or on a password reset link, for your Vouchdesk login" },
  // Removed by someone else: what to do now replaces the "if this was not you" line.
  removed_with_reset: {
    subject: "Your Vouchdesk login's two-step sign-in was removed with a password reset",
    happened: "An approved password reset, whose request said the second factor was lost too, removed the authenticator app and the recovery codes of your Vouchdesk login",
    advice: REMOVED_ADVICE,
  },
  removed_by_primary: {
    subject: "Your Vouchdesk login's two-step sign-in was removed by your account's primary login",
    happened: "Your account's primary login holder removed the authenticator app and the recovery codes of your Vouchdesk login",
    advice: `Every session of your login was signed out. ${REMOVED_ADVICE}`,
  },
  removed_by_admin: {
    subject: "Your Vouchdesk login's two-step sign-in was removed by an admin",
    happened: "A desk administrator removed the authenticator app and the recovery codes of your Vouchdesk login",
    advice: `Every session of your login was signed out. ${REMOVED_ADVICE}`,
  },
};

/** The notice of a factor event: no secret and no code in it, only what happened, when and from where. */
export async function factorNoticeMail(
  mailer: Mailer,
  clock: Clock,
  login: { username: string; displayName: string; email: string },
  event: FactorEvent,
  context: { ip: string | null; remaining?: number },
): Promise<ComposedMail> {
  const now = clock.now();
  const { subject, happened, advice } = NOTICES[event];
  const data = { ...login, happened, advice: advice ?? null, at: formatInZone(now, mailer.timeZone), ip: context.ip, remaining: context.remaining ?? null, baseUrl: mailer.baseUrl };
  const content = await renderMailTemplate("second-factor", data, true);
  return composePlain(mailer.sender, { to: login.email, subject, template: "second-factor", text: content.text, html: content.html! }, now);
}
