import type { Knex } from "knex";
import type { Db } from "../shared/db.js";
import type { MailingDeps } from "../platform/mail/mailer.js";
import { composePlain } from "../platform/mail/compose.js";
import { enqueue } from "../platform/mail/outbox-store.js";
import { renderMailTemplate } from "../platform/mail/templates.js";
import { findAccount } from "../accounts/index.js";
import { findLoginSummary, staffWantingNewTicketMail, storeNewTicketMail } from "../identity/index.js";
import { replyAddressFor } from "./reply-tokens.js";
import { findTicket } from "./tickets-store.js";
import { TYPE_LABELS } from "./vocabulary.js";

/** An agent or admin asks for (or stops) a mail about each new ticket; whether they did is read through identity's face. */
export const setNewTicketNotice = (db: Db, userId: number, on: boolean, now: Date): Promise<void> => storeNewTicketMail(db, userId, on, now);

/**
 * In the ticket's own transaction: one mail to each active agent or admin who asked for it,
 * with the first message and a link to the desk's page. No secret is ever in a ticket's text
 * that the customer did not write there.
 */
export async function noticeNewTicket(trx: Knex.Transaction, deps: MailingDeps, ticketId: number, firstMessage: string, now: Date): Promise<void> {
  const staff = await staffWantingNewTicketMail(trx);
  if (staff.length === 0) return;
  // The ticket was written in this transaction, its account and requester before it.
  const ticket = (await findTicket(trx, ticketId))!;
  const account = await findAccount(trx, ticket.accountId);
  const requester = await findLoginSummary(trx, ticket.requesterId);
  const data = {
    ticket: { id: ticketId, subject: ticket.subject, type: TYPE_LABELS[ticket.type] },
    account: `${account!.code} · ${account!.name}`,
    requester: requester!.username,
    firstMessage,
    // Quoted, so nothing the customer wrote can pass for the desk's own words or link.
    quotedMessage: firstMessage.split(/\r?\n/).map((line) => `> ${line}`).join("\n"),
    link: `${deps.mailer.baseUrl}/desk/tickets/${ticketId}`,
    baseUrl: deps.mailer.baseUrl,
  };
  const subject = `[#${ticketId}] New ticket from ${account!.code}: ${ticket.subject}`;
  for (const person of staff) {
    const content = await renderMailTemplate("new-ticket", { ...data, displayName: person.displayName }, true);
    const replyTo = await replyAddressFor(trx, deps.mailer.sender, ticket, person.id, now);
    const mail = await composePlain(deps.mailer.sender, { to: person.email, subject, template: "new-ticket", text: content.text, html: content.html!, ticketId, replyTo }, now);
    await enqueue(trx, mail, now);
  }
}
