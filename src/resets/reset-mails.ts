import type { Knex } from "knex";
import type * as openpgp from "openpgp";
import { findAccount } from "../accounts/index.js";
import { findLoginById } from "../identity/index.js";
import type { Clock } from "../shared/clock.js";
import { composeEncrypted, composePlain, composeSealed, type ComposedMail } from "../platform/mail/compose.js";
import { formatInZone } from "../shared/formatting.js";
import type { Mailer, MailingDeps } from "../platform/mail/mailer.js";
import { enqueue } from "../platform/mail/outbox-store.js";
import { renderMailTemplate } from "../platform/mail/templates.js";
import type { ResetRequest } from "./reset-store.js";

/** What every reset mail says about the request. */
export interface ResetMailContext {
  ticketId: number;
  accountName: string;
  primaryUsername: string;
}

/** The alert to the primary's address and each contact: who asked, and a single-use objection link (sealed at rest). */
export async function resetAlertMail(
  mailer: Mailer,
  clock: Clock,
  ctx: ResetMailContext & { requesterUsername: string; requesterName: string },
  recipient: { email: string; name: string; objectionToken: string },
): Promise<ComposedMail> {
  const now = clock.now();
  const data = { ...ctx, recipientName: recipient.name, requestedAt: formatInZone(now, mailer.timeZone), objectionUrl: `${mailer.baseUrl}/objections/${recipient.objectionToken}`, baseUrl: mailer.baseUrl };
  const { text } = await renderMailTemplate("reset-alert", data, false);
  const mail = { to: recipient.email, subject: `Password reset requested for ${ctx.primaryUsername} (ticket #${ctx.ticketId})`, template: "reset-alert", text, ticketId: ctx.ticketId };
  return composeSealed(mailer.sender, mail, mailer.deskKey, now);
}

/**
 * The requester's confirmation: what happens next, and (sealed at rest) the single-use objection
 * link the alert would have carried, since the requester's own address gets this mail instead:
 * if someone else used their login, they can stop it.
 */
export async function resetReceivedMail(mailer: Mailer, clock: Clock, ctx: ResetMailContext, requester: { email: string; displayName: string; objectionToken: string }): Promise<ComposedMail> {
  const data = { ...ctx, displayName: requester.displayName, ticketUrl: `${mailer.baseUrl}/tickets/${ctx.ticketId}`, objectionUrl: `${mailer.baseUrl}/objections/${requester.objectionToken}`, baseUrl: mailer.baseUrl };
  const { text } = await renderMailTemplate("reset-received", data, false);
  const subject = `Your primary account password reset request (ticket #${ctx.ticketId})`;
  return composeSealed(mailer.sender, { to: requester.email, subject, template: "reset-received", text, ticketId: ctx.ticketId }, mailer.deskKey, clock.now());
}

/**
 * The notices of a change the requester can see, each one mail: approved and sent, completed,
 * expired; rejected and withdrawn (these with the agent's reason, to the primary's address too).
 * None carries a secret: the temporary password goes only to the primary's address, encrypted.
 */
const NOTICES = {
  "reset-approved": (ticketId: number) => `Password reset request approved (ticket #${ticketId})`,
  "reset-completed": (ticketId: number) => `Password reset complete (ticket #${ticketId})`,
  "reset-expired": (ticketId: number) => `Temporary password expired unused (ticket #${ticketId})`,
  "reset-rejected": (ticketId: number) => `Password reset request rejected (ticket #${ticketId})`,
  "reset-withdrawn": (ticketId: number) => `Temporary password withdrawn (ticket #${ticketId})`,
};
type Notice = keyof typeof NOTICES;

async function resetNoticeMail(mailer: Mailer, clock: Clock, ctx: ResetMailContext, to: { email: string; displayName: string }, template: Notice, extra: Record<string, unknown>): Promise<ComposedMail> {
  const data = { ...ctx, ...extra, displayName: to.displayName, ticketUrl: `${mailer.baseUrl}/tickets/${ctx.ticketId}`, baseUrl: mailer.baseUrl };
  const content = await renderMailTemplate(template, data, true);
  return composePlain(mailer.sender, { to: to.email, subject: NOTICES[template](ctx.ticketId), template, text: content.text, html: content.html!, ticketId: ctx.ticketId }, clock.now());
}

/** To the assignee and the admins: the temporary password's mail failed for good, and what they can do. No secret in it. */
export async function deliveryFailedMail(
  mailer: Mailer,
  clock: Clock,
  ctx: ResetMailContext,
  to: { email: string; displayName: string },
  failure: { outboxId: number; recipient: string; error: string; attempts: number; dead: boolean },
): Promise<ComposedMail> {
  const data = {
    ...ctx,
    ...failure,
    displayName: to.displayName,
    ticketUrl: `${mailer.baseUrl}/desk/tickets/${ctx.ticketId}`,
    mailUrl: `${mailer.baseUrl}/admin/mail/${failure.outboxId}`,
    baseUrl: mailer.baseUrl,
  };
  const content = await renderMailTemplate("reset-delivery-failed", data, true);
  const subject = `[#${ctx.ticketId}] Temporary password not delivered for ${ctx.primaryUsername}`;
  return composePlain(mailer.sender, { to: to.email, subject, template: "reset-delivery-failed", text: content.text, html: content.html!, ticketId: ctx.ticketId }, clock.now());
}

/**
 * The temporary password, PGP/MIME-encrypted to the primary's key and signed by the desk.
 * The subject holds no secret; the plaintext exists only in this request's memory.
 */
export async function temporaryPasswordMail(
  mailer: Mailer,
  clock: Clock,
  ctx: ResetMailContext,
  primary: { email: string; displayName: string; key: openpgp.PublicKey },
  temporaryPassword: string,
  expiresAt: Date,
): Promise<ComposedMail> {
  const data = {
    ...ctx,
    displayName: primary.displayName,
    username: ctx.primaryUsername,
    temporaryPassword,
    expiresAt: formatInZone(expiresAt, mailer.timeZone),
    signInUrl: `${mailer.baseUrl}/login`,
    baseUrl: mailer.baseUrl,
  };
  const { text } = await renderMailTemplate("temporary-password", data, false);
  const mail = { to: primary.email, subject: "Your Vouchdesk temporary password", template: "temporary-password", text, ticketId: ctx.ticketId };
  return composeEncrypted(mailer.sender, mail, primary.key, mailer.deskKey, clock.now());
}

/** Who a request's notices go to, and what they all say. */
async function noticeParties(trx: Knex.Transaction, request: ResetRequest) {
  const account = await findAccount(trx, request.accountId);
  const requester = await findLoginById(trx, request.requesterId);
  const primary = await findLoginById(trx, request.targetUserId);
  const ctx = { ticketId: request.ticketId, accountName: account!.name, primaryUsername: primary!.username };
  return { ctx, requester: requester!, primary: primary! };
}

/** Queues one notice of a change the requester can see, to the requester only, in the caller's transaction. */
export async function queueRequesterNotice(deps: MailingDeps, trx: Knex.Transaction, request: ResetRequest, template: Notice, extra: Record<string, unknown>, now: Date): Promise<void> {
  const { ctx, requester } = await noticeParties(trx, request);
  if (requester.email) await enqueue(trx, await resetNoticeMail(deps.mailer, deps.clock, ctx, { email: requester.email, displayName: requester.displayName }, template, extra), now);
}

/**
 * Queues the notice that ends a request, with its reason, to the requester and the primary's
 * address (each that has one), in the caller's transaction.
 */
export async function queueEndNotices(deps: MailingDeps, trx: Knex.Transaction, request: ResetRequest, template: "reset-rejected" | "reset-withdrawn", reason: string, now: Date): Promise<void> {
  const { ctx, requester, primary } = await noticeParties(trx, request);
  for (const to of [requester, primary]) {
    if (to.email) await enqueue(trx, await resetNoticeMail(deps.mailer, deps.clock, ctx, { email: to.email, displayName: to.displayName }, template, { reason }), now);
  }
}
