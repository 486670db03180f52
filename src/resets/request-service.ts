import { appendAudit } from "../platform/audit/audit-log.js";
import { contactsOfAccount, distinctRecipients, findAccount, type Account } from "../accounts/index.js";
import { findLoginById, listLoginsOfAccount, type Login } from "../identity/index.js";
import { auditedBy, type Actor } from "../shared/actor.js";
import type { Db } from "../shared/db.js";
import type { ComposedMail } from "../platform/mail/compose.js";
import type { MailingDeps } from "../platform/mail/mailer.js";
import { enqueue } from "../platform/mail/outbox-store.js";
import { noticeNewTicket, openTicketWith, recordOnTimeline } from "../tickets/index.js";
import { resetAlertMail, resetReceivedMail } from "./reset-mails.js";
import { findOpenRequestOfAccount, insertObjectionToken, insertResetRequest } from "./reset-store.js";
import { done, refusedAt, type Refused, type Result } from "../shared/problems.js";
import { RESET_SUBJECT } from "./vocabulary.js";

export type ResetDeps = MailingDeps;

/** What the requester asks: why, and whether the holder lost the second factor too. */
export interface ResetAsked {
  reason: string;
  factorLost: boolean;
}

/** Added to the ticket's opening text when the request says the second factor is lost. */
export const FACTOR_LOST_NOTE = "The requester says the primary holder has also lost their second factor (authenticator app and recovery codes): if approved, by an admin, the reset removes them and the holder sets up two-step sign-in again.";

/** Why this login may not open a request (field `form`), and the open request's ticket when that is why. */
export type NotEligible = Refused & { openTicketId?: number };
/** Who asks, for which account, to reset which primary login. */
export type Eligible = { requester: Login; account: Account; primary: Login };
export type Eligibility = Result<Eligible> | NotEligible;

const alreadyOpen = (ticketId: number): NotEligible => ({ ...notEligible(`Your account already has an open primary reset request: ticket #${ticketId}.`), openTicketId: ticketId });
const notEligible = (reason: string): NotEligible => refusedAt("form", reason);

/** Whether this login may open a primary reset request now, and if not, why in plain words. */
export async function resetEligibility(db: Db, actor: Actor): Promise<Eligibility> {
  if (actor.role === "primary") {
    return notEligible("You are the primary login: a reset of it is requested by an authorised secondary login of your account, so that support can verify it with someone else. If you know your password, change it under My account.");
  }
  const requester = await findLoginById(db, actor.id);
  if (actor.role !== "secondary" || actor.accountId === null || !requester) {
    return notEligible("Only a customer's secondary login can request a primary reset. Support staff never open one on someone's behalf.");
  }
  if (!requester.canOpenCases) {
    return notEligible("Your login is not authorised to open support cases. Ask your account's primary login holder to authorise it, or ask an authorised colleague to open the request.");
  }
  const account = await findAccount(db, actor.accountId);
  if (!account || account.status !== "active") return notEligible("Your account is suspended: contact support.");
  const primary = (await listLoginsOfAccount(db, account.id)).find((l) => l.role === "primary");
  if (!primary) return notEligible("Your account has no primary login to reset.");
  const open = await findOpenRequestOfAccount(db, account.id);
  return open ? alreadyOpen(open.ticketId) : done({ requester, account, primary });
}

/**
 * Opens the request for a login {@link resetEligibility} found eligible: the ticket and its
 * reset request together, an alert with a single-use objection link to the primary's address
 * and every contact on file, a confirmation (with its own objection link) to the requester in
 * place of the alert to the same address, the timeline and the audit — all in one transaction.
 */
export async function openResetRequest(deps: ResetDeps, actor: Actor, eligible: Eligible, asked: ResetAsked): Promise<Result<{ ticketId: number }> | NotEligible> {
  const { account, primary } = eligible;
  const recipients = distinctRecipients([{ email: primary.email, name: primary.displayName }, ...(await contactsOfAccount(deps.db, account.id))]);
  const now = deps.clock.now();
  try {
    return await insertRequest(deps, actor, eligible, recipients, asked, now);
  } catch (err) {
    // Two requests at once: the database's one-open-request index lets one through.
    const open = await findOpenRequestOfAccount(deps.db, account.id);
    if (open) return alreadyOpen(open.ticketId);
    throw err;
  }
}

async function insertRequest(deps: ResetDeps, actor: Actor, { requester, account, primary }: Eligible, recipients: { email: string; name: string }[], { reason, factorLost }: ResetAsked, now: Date): Promise<Result<{ ticketId: number }>> {
  // The ticket's opening text says it too, so whoever reads the ticket (or its mail) sees it.
  const body = factorLost ? `${reason}\n\n${FACTOR_LOST_NOTE}` : reason;
  return deps.db.transaction(async (trx) => {
    const ticketId = await openTicketWith(trx, { accountId: account.id, requesterId: requester.id, type: "primary_reset", subject: RESET_SUBJECT, priority: "high" }, { authorId: requester.id, body }, now);
    const requestId = await insertResetRequest(trx, { ticketId, accountId: account.id, requesterId: requester.id, targetUserId: primary.id, reason, factorLost }, now);
    const ctx = { ticketId, accountName: account.name, primaryUsername: primary.username, factorLost };
    const mails: ComposedMail[] = [];
    // One mail per mailbox: the requester's own address (on the records too, as an authorised
    // contact often is) gets the confirmation, with its objection link, instead of the alert.
    const requesterAddress = requester.email?.toLowerCase() ?? null;
    for (const r of recipients.filter((r) => r.email.toLowerCase() !== requesterAddress)) {
      const objectionToken = await insertObjectionToken(trx, requestId, r.email, now);
      mails.push(await resetAlertMail(deps.mailer, deps.clock, { ...ctx, requesterUsername: requester.username, requesterName: requester.displayName }, { ...r, objectionToken }));
    }
    if (requester.email) {
      const objectionToken = await insertObjectionToken(trx, requestId, requester.email, now);
      mails.push(await resetReceivedMail(deps.mailer, deps.clock, ctx, { email: requester.email, displayName: requester.displayName, objectionToken }));
    }
    for (const mail of mails) await enqueue(trx, mail, now);
    await noticeNewTicket(trx, deps, ticketId, body, now);
    await recordOnTimeline(trx, ticketId, { authorId: null, kind: "system", publicText: `The primary login's registered address and every contact on file were alerted (${recipients.length}).` }, now);
    const details = { account: account.code, target: primary.username, factorLost, alerted: recipients.map((r) => r.email) };
    await appendAudit(trx, { action: "reset.requested", ...auditedBy(actor), subject: `ticket:${ticketId}`, details }, now);
    return done({ ticketId });
  });
}
