import { appendAudit } from "../platform/audit/audit-log.js";
import { contactsOfAccount, distinctRecipients, findAccount, type Account } from "../accounts/index.js";
import { listLoginsOfAccount, type Login } from "../identity/index.js";
import type { Db } from "../shared/db.js";
import type { ComposedMail } from "../platform/mail/compose.js";
import type { MailingDeps } from "../platform/mail/mailer.js";
import { enqueue } from "../platform/mail/outbox-store.js";
import { insertEvent, insertTicket, noticeNewTicket } from "../tickets/index.js";
import { resetAlertMail, resetReceivedMail } from "./reset-mails.js";
import { findOpenRequestOfAccount, insertObjectionToken, insertResetRequest } from "./reset-store.js";

export const RESET_SUBJECT = "Primary account password reset request";

export type ResetDeps = MailingDeps;

export type NotEligible = { ok: false; reason: string; openTicketId?: number };
export type Eligible = { ok: true; account: Account; primary: Login };
export type Eligibility = Eligible | NotEligible;

const alreadyOpen = (ticketId: number): NotEligible => ({ ok: false, reason: `Your account already has an open primary reset request: ticket #${ticketId}.`, openTicketId: ticketId });

/** Whether this login may open a primary reset request now, and if not, why in plain words. */
export async function resetEligibility(db: Db, user: Express.User): Promise<Eligibility> {
  if (user.role === "primary") {
    return { ok: false, reason: "You are the primary login: a reset of it is requested by an authorised secondary login of your account, so that support can verify it with someone else. If you know your password, change it under My account." };
  }
  if (user.role !== "secondary" || user.accountId === null) {
    return { ok: false, reason: "Only a customer's secondary login can request a primary reset. Support staff never open one on someone's behalf." };
  }
  if (!user.canOpenCases) {
    return { ok: false, reason: "Your login is not authorised to open support cases. Ask your account's primary login holder to authorise it, or ask an authorised colleague to open the request." };
  }
  const account = await findAccount(db, user.accountId);
  if (!account || account.status !== "active") return { ok: false, reason: "Your account is suspended: contact support." };
  const primary = (await listLoginsOfAccount(db, account.id)).find((l) => l.role === "primary");
  if (!primary) return { ok: false, reason: "Your account has no primary login to reset." };
  const open = await findOpenRequestOfAccount(db, account.id);
  return open ? alreadyOpen(open.ticketId) : { ok: true, account, primary };
}

/**
 * Opens the request for a login {@link resetEligibility} found eligible: the ticket and its reset request together, an alert with a single-use
 * objection link to the primary's address and every contact on file, a confirmation to the
 * requester, the timeline and the audit — all in one transaction.
 */
export async function openResetRequest(deps: ResetDeps, user: Express.User, eligible: Eligible, reason: string, ip: string | null): Promise<NotEligible | { ok: true; ticketId: number }> {
  const { account, primary } = eligible;
  const recipients = distinctRecipients([{ email: primary.email, name: primary.displayName }, ...(await contactsOfAccount(deps.db, account.id))]);
  const now = deps.clock.now();
  try {
    return await insertRequest(deps, user, eligible, recipients, reason, ip, now);
  } catch (err) {
    // Two requests at once: the database's one-open-request index lets one through.
    const open = await findOpenRequestOfAccount(deps.db, account.id);
    if (open) return alreadyOpen(open.ticketId);
    throw err;
  }
}

async function insertRequest(
  deps: ResetDeps,
  user: Express.User,
  { account, primary }: { account: Account; primary: Login },
  recipients: { email: string; name: string }[],
  reason: string,
  ip: string | null,
  now: Date,
): Promise<{ ok: true; ticketId: number }> {
  return deps.db.transaction(async (trx) => {
    const ticketId = await insertTicket(trx, { accountId: account.id, requesterId: user.id, type: "primary_reset", subject: RESET_SUBJECT, priority: "high" }, now);
    const requestId = await insertResetRequest(trx, { ticketId, accountId: account.id, requesterId: user.id, targetUserId: primary.id, reason }, now);
    await insertEvent(trx, { ticketId, authorId: user.id, kind: "reply", visibility: "public", body: reason }, now);
    const ctx = { ticketId, accountName: account.name, primaryUsername: primary.username };
    const mails: ComposedMail[] = [];
    for (const r of recipients) {
      const objectionToken = await insertObjectionToken(trx, requestId, r.email, now);
      mails.push(await resetAlertMail(deps.mailer, deps.clock, { ...ctx, requesterUsername: user.username, requesterName: user.displayName }, { ...r, objectionToken }));
    }
    if (user.email) mails.push(await resetReceivedMail(deps.mailer, deps.clock, ctx, { email: user.email, displayName: user.displayName }));
    for (const mail of mails) await enqueue(trx, mail, now);
    await noticeNewTicket(trx, deps, ticketId, reason, now);
    await insertEvent(trx, { ticketId, authorId: null, kind: "system", visibility: "public", body: `The primary login's registered address and every contact on file were alerted (${recipients.length}).` }, now);
    await appendAudit(
      trx,
      { action: "reset.requested", actorId: user.id, actor: user.username, ip, subject: `ticket:${ticketId}`, details: { account: account.code, target: primary.username, alerted: recipients.map((r) => r.email) } },
      now,
    );
    return { ok: true as const, ticketId };
  });
}
