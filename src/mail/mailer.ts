import type { Config } from "../config.js";
import type { Clock } from "../clock.js";
import { composePlain, type ComposedMail, type Sender } from "./compose.js";
import type { DeskKey } from "./desk-key.js";
import { renderMailTemplate } from "./templates.js";
import type { MailTransport } from "./transports.js";

/** Everything needed to write and send the desk's mail. */
export interface Mailer {
  sender: Sender;
  deskKey: DeskKey;
  transport: MailTransport;
  baseUrl: string;
}

export function senderFromConfig(config: Config): Sender {
  const address = /<([^>]+)>/.exec(config.mail.from)?.[1] ?? config.mail.from;
  return { from: config.mail.from, hostname: address.split("@")[1] ?? "vouchdesk.localhost" };
}

/** The test message an admin sends from the settings page. */
export async function testMessageMail(mailer: Mailer, clock: Clock, to: string, requestedBy: string): Promise<ComposedMail> {
  const now = clock.now();
  const content = await renderMailTemplate("test-message", { requestedBy, sentAt: now.toISOString(), baseUrl: mailer.baseUrl, transport: mailer.transport.name }, true);
  return composePlain(mailer.sender, { to, subject: "Vouchdesk test message", template: "test-message", text: content.text, html: content.html! }, now);
}
