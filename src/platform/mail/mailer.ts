import type { Config } from "../../shared/config.js";
import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import { formatInZone } from "../../shared/formatting.js";
import { composeEncrypted, composePlain, composeSealed, type ComposedMail, type Sender } from "./compose.js";
import { usableRecipientKey } from "./pgp.js";
import type { DeskKey } from "./desk-key.js";
import { renderMailTemplate } from "./templates.js";
import type { MailTransport } from "./transports.js";

/** What a feature that changes records and sends mail about it needs. */
export interface MailingDeps {
  db: Db;
  clock: Clock;
  mailer: Mailer;
}

/** Everything needed to write and send the desk's mail. */
export interface Mailer {
  sender: Sender;
  deskKey: DeskKey;
  transport: MailTransport;
  baseUrl: string;
  /** TIME_ZONE: the clock every time in a mail is written on, with its zone named. */
  timeZone: string;
}

export function senderFromConfig(config: Config): Sender {
  const address = /<([^>]+)>/.exec(config.mail.from)?.[1] ?? config.mail.from;
  return { from: config.mail.from, hostname: address.split("@")[1] ?? "vouchdesk.localhost", replyDomain: config.inbound.domain };
}

/** The test message an admin sends from the settings page. */
export async function testMessageMail(mailer: Mailer, clock: Clock, to: string, requestedBy: string): Promise<ComposedMail> {
  const now = clock.now();
  const content = await renderMailTemplate("test-message", { requestedBy, sentAt: formatInZone(now, mailer.timeZone), baseUrl: mailer.baseUrl, transport: mailer.transport.name }, true);
  return composePlain(mailer.sender, { to, subject: "Vouchdesk test message", template: "test-message", text: content.text, html: content.html! }, now);
}

/** "Your password was changed": no secret in it, a way to raise the alarm if it was not you. */
export async function passwordChangedMail(
  mailer: Mailer,
  clock: Clock,
  login: { username: string; displayName: string; email: string; role: string },
): Promise<ComposedMail> {
  const now = clock.now();
  const data = { ...login, changedAt: formatInZone(now, mailer.timeZone), baseUrl: mailer.baseUrl };
  const content = await renderMailTemplate("password-changed", data, true);
  return composePlain(mailer.sender, { to: login.email, subject: "Your Vouchdesk password was changed", template: "password-changed", text: content.text, html: content.html! }, now);
}

/** "Your login was unlocked": who lifted the lock, when, and what to do if the failed sign-ins were not yours. */
export async function loginUnlockedMail(
  mailer: Mailer,
  clock: Clock,
  login: { username: string; displayName: string; email: string; role: string },
  unlock: { by: string; failedSignIns: number },
): Promise<ComposedMail> {
  const now = clock.now();
  const data = { ...login, ...unlock, unlockedAt: formatInZone(now, mailer.timeZone), baseUrl: mailer.baseUrl };
  const content = await renderMailTemplate("login-unlocked", data, true);
  return composePlain(mailer.sender, { to: login.email, subject: "Your Vouchdesk login was unlocked", template: "login-unlocked", text: content.text, html: content.html! }, now);
}

/**
 * The single-use set-password link for a new login or a holder-started reset. The link is
 * a credential: PGP/MIME when the login has a key on file, else plain text only (no HTML
 * copy of the link, nothing in the subject), sealed to the desk key while in the outbox.
 */
export async function setPasswordMail(
  mailer: Mailer,
  clock: Clock,
  login: { username: string; displayName: string; email: string; armoredKey: string | null },
  link: { url: string; expiresAt: Date; reason: "new" | "reset"; requestedBy: string },
): Promise<ComposedMail> {
  const now = clock.now();
  const data = { ...login, link: link.url, expiresAt: formatInZone(link.expiresAt, mailer.timeZone), reason: link.reason, requestedBy: link.requestedBy, baseUrl: mailer.baseUrl };
  const { text } = await renderMailTemplate("set-password", data, false);
  const subject = link.reason === "new" ? "Your new Vouchdesk login" : "Choose a new Vouchdesk password";
  const content = { to: login.email, subject, template: "set-password", text };
  if (!login.armoredKey) return composeSealed(mailer.sender, content, mailer.deskKey, now);
  const key = await usableRecipientKey(login.email, login.armoredKey, now);
  return composeEncrypted(mailer.sender, content, key, mailer.deskKey, now);
}
