import type { Knex } from "knex";
import type { Db } from "../shared/db.js";
import type { MailingDeps } from "../platform/mail/mailer.js";
import { composePlain } from "../platform/mail/compose.js";
import { enqueue } from "../platform/mail/outbox-store.js";
import { renderMailTemplate } from "../platform/mail/templates.js";
import { STAFF_ROLES } from "../shared/roles.js";
import { TYPE_LABELS } from "./vocabulary.js";

type Row = Record<string, unknown>;

/** Whether this agent or admin asked to be mailed about new tickets. */
export async function wantsNewTicketNotice(db: Db, userId: number): Promise<boolean> {
  const row: unknown = await db("users").where({ id: userId }).first("notify_new_tickets");
  return Boolean((row as Row | undefined)?.notify_new_tickets);
}

export async function setNewTicketNotice(db: Db, userId: number, on: boolean, now: Date): Promise<void> {
  await db("users").where({ id: userId }).update({ notify_new_tickets: on, updated_at: now });
}

/**
 * In the ticket's own transaction: one mail to each active agent or admin who asked for it,
 * with the first message and a link to the desk's page. No secret is ever in a ticket's text
 * that the customer did not write there.
 */
export async function noticeNewTicket(trx: Knex.Transaction, deps: MailingDeps, ticketId: number, firstMessage: string, now: Date): Promise<void> {
  const found: unknown = await trx("users")
    .whereIn("role", STAFF_ROLES)
    .whereNull("disabled_at")
    .whereNotNull("email")
    .where({ notify_new_tickets: true })
    .orderBy("id")
    .select("email", "display_name");
  const staff = found as Row[];
  if (staff.length === 0) return;
  const joined: unknown = await trx("tickets")
    .join("accounts", "accounts.id", "tickets.account_id")
    .join("users", "users.id", "tickets.requester_id")
    .where("tickets.id", ticketId)
    .first("tickets.subject", "tickets.type", "accounts.code", "accounts.name", "users.username");
  const ticket = joined as Row;
  const data = {
    ticket: { id: ticketId, subject: ticket.subject as string, type: TYPE_LABELS[ticket.type as keyof typeof TYPE_LABELS] },
    account: `${ticket.code as string} · ${ticket.name as string}`,
    requester: ticket.username as string,
    firstMessage,
    // Quoted, so nothing the customer wrote can pass for the desk's own words or link.
    quotedMessage: firstMessage.split(/\r?\n/).map((line) => `> ${line}`).join("\n"),
    link: `${deps.mailer.baseUrl}/desk/tickets/${ticketId}`,
    baseUrl: deps.mailer.baseUrl,
  };
  const subject = `[#${ticketId}] New ticket from ${ticket.code as string}: ${ticket.subject as string}`;
  for (const person of staff) {
    const content = await renderMailTemplate("new-ticket", { ...data, displayName: person.display_name }, true);
    const mail = await composePlain(deps.mailer.sender, { to: person.email as string, subject, template: "new-ticket", text: content.text, html: content.html!, ticketId }, now);
    await enqueue(trx, mail, now);
  }
}
