import type { Clock } from "../shared/clock.js";
import { composePlain, type ComposedMail } from "../platform/mail/compose.js";
import type { Mailer } from "../platform/mail/mailer.js";
import { renderMailTemplate } from "../platform/mail/templates.js";
import type { Ticket } from "./tickets-store.js";

/** Who a ticket mail goes to: the requester, by their registered address. */
export interface MailRecipient {
  email: string;
  displayName: string;
  /** The reply address made for this mail (reply-tokens.ts), or null. */
  replyTo: string | null;
}

type TicketMailKind = { template: "ticket-reply"; reply: { body: string; author: string } } | { template: "ticket-resolved" };

/**
 * Mail to the requester about their ticket: a public reply (its text included) or the
 * ticket's resolution, each with a link back to the ticket. Internal notes never reach here.
 */
export async function ticketMail(mailer: Mailer, clock: Clock, ticket: Ticket, to: MailRecipient, kind: TicketMailKind): Promise<ComposedMail> {
  const now = clock.now();
  const link = `${mailer.baseUrl}/tickets/${ticket.id}`;
  const data = { displayName: to.displayName, ticket: { id: ticket.id, subject: ticket.subject }, link, baseUrl: mailer.baseUrl, reply: "reply" in kind ? kind.reply : null };
  const content = await renderMailTemplate(kind.template, data, true);
  const subject = kind.template === "ticket-reply" ? `[#${ticket.id}] New reply: ${ticket.subject}` : `[#${ticket.id}] Resolved: ${ticket.subject}`;
  return composePlain(mailer.sender, { to: to.email, subject, template: kind.template, text: content.text, html: content.html!, ticketId: ticket.id, replyTo: to.replyTo }, now);
}
