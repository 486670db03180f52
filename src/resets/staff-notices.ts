import type { Knex } from "knex";
import { findAccount } from "../accounts/index.js";
import { findLoginById, listStaff, type Login } from "../identity/index.js";
import { composePlain } from "../platform/mail/compose.js";
import type { MailingDeps } from "../platform/mail/mailer.js";
import { enqueue } from "../platform/mail/outbox-store.js";
import { renderMailTemplate } from "../platform/mail/templates.js";
import type { Ticket } from "../tickets/index.js";
import type { ResetRequest } from "./reset-store.js";

// The plain notices the desk mails its own staff about a reset request: never a secret, never
// a customer's number; the ticket number, the account, the desk's link and why.

/** The ticket's assignee and every active admin, each once, who have an address to write to. */
export function assigneeAndAdmins(assignee: Login | null, staff: Login[]): Login[] {
  const people = [...(assignee ? [assignee] : []), ...staff.filter((s) => s.role === "admin")];
  return people.filter((p, i) => p.email && !p.disabledAt && people.findIndex((q) => q.id === p.id) === i);
}

/** The people {@link assigneeAndAdmins} names for this (locked) ticket. */
export async function assigneeAndAdminsOf(trx: Knex.Transaction, ticket: Ticket): Promise<Login[]> {
  const assignee = ticket.assigneeId === null ? null : await findLoginById(trx, ticket.assigneeId);
  return assigneeAndAdmins(assignee, await listStaff(trx));
}

export type StaffNoticeTemplate = "reset-handoff" | "reset-objection-notice" | "reset-expiring-notice";

/**
 * Queues one plain mail from `template` to each person, in the caller's transaction. The
 * template gets the request's ticket number, account, primary login and desk link, and `extra`.
 */
export async function queueStaffNotice(
  deps: MailingDeps,
  trx: Knex.Transaction,
  request: ResetRequest,
  people: { email: string | null; displayName: string }[],
  notice: { template: StaffNoticeTemplate; subject: string; extra?: Record<string, unknown> },
  now: Date,
): Promise<void> {
  if (people.length === 0) return;
  const account = (await findAccount(trx, request.accountId))!;
  const primary = (await findLoginById(trx, request.targetUserId))!;
  const data = {
    ticketId: request.ticketId,
    account: `${account.code} · ${account.name}`,
    primaryUsername: primary.username,
    ticketUrl: `${deps.mailer.baseUrl}/desk/tickets/${request.ticketId}`,
    baseUrl: deps.mailer.baseUrl,
    ...notice.extra,
  };
  for (const person of people) {
    if (!person.email) continue;
    const { text } = await renderMailTemplate(notice.template, { ...data, displayName: person.displayName }, false);
    const mail = await composePlain(deps.mailer.sender, { to: person.email, subject: notice.subject, template: notice.template, text, html: null, ticketId: request.ticketId }, now);
    await enqueue(trx, mail, now);
  }
}
