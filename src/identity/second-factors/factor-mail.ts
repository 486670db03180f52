import type { Clock } from "../../shared/clock.js";
import { formatUtc } from "../../shared/formatting.js";
import { composePlain, type ComposedMail } from "../../platform/mail/compose.js";
import type { Mailer } from "../../platform/mail/mailer.js";
import { renderMailTemplate } from "../../platform/mail/templates.js";

/** What happened to a login's second factors; each is mailed to the login (ASVS v5 6.3.7). */
export type FactorEvent = "totp_added" | "totp_removed" | "passkey_added" | "passkey_removed" | "recovery_codes_regenerated" | "recovery_code_used";

const NOTICES: Record<FactorEvent, { subject: string; happened: string }> = {
  totp_added: { subject: "An authenticator app was added to your Vouchdesk login", happened: "An authenticator app was added to the two-step sign-in of your Vouchdesk login" },
  totp_removed: { subject: "The authenticator app was removed from your Vouchdesk login", happened: "The authenticator app was removed from the two-step sign-in of your Vouchdesk login" },
  passkey_added: { subject: "A passkey was added to your Vouchdesk login", happened: "A passkey was added to the two-step sign-in of your Vouchdesk login; it signs in alone" },
  passkey_removed: { subject: "A passkey was removed from your Vouchdesk login", happened: "A passkey was removed from the two-step sign-in of your Vouchdesk login" },
  recovery_codes_regenerated: { subject: "New recovery codes for your Vouchdesk login", happened: "New recovery codes were made for your Vouchdesk login; the earlier ones no longer work" },
  recovery_code_used: { subject: "A recovery code of your Vouchdesk login was used", happened: "A recovery code was used to sign in to your Vouchdesk login" },
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
  const { subject, happened } = NOTICES[event];
  const data = { ...login, happened, at: formatUtc(now), ip: context.ip, remaining: context.remaining ?? null, baseUrl: mailer.baseUrl };
  const content = await renderMailTemplate("second-factor", data, true);
  return composePlain(mailer.sender, { to: login.email, subject, template: "second-factor", text: content.text, html: content.html! }, now);
}
