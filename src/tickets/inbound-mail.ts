import EmailReplyParser from "email-reply-parser";
import type { Actor } from "../shared/actor.js";
import { isCustomer, isStaff } from "../shared/roles.js";
import { hashToken } from "../shared/tokens.js";
import type { InboundAttachment, InboundMail, InboundRouter, InboundRouting } from "../platform/mail/inbound/types.js";
import { findAccount } from "../accounts/index.js";
import { findLoginSummary, loginsWithEmail, type LoginSummary } from "../identity/index.js";
import { ATTACHMENT_MAX_COUNT, checkFiles, type CheckedFile } from "./attachments.js";
import { replyTokenIn } from "./reply-tokens.js";
import { findReplyToken } from "./reply-tokens-store.js";
import { addAgentReply, addCustomerReply, createTicket, type TicketDeps } from "./ticket-service.js";
import { findTicket } from "./tickets-store.js";
import { BODY_MAX, SUBJECT_MAX } from "./vocabulary.js";

/**
 * Words that ask for a password reset, in a subject or body. Such a mail never becomes a
 * ticket and never a reset (DESIGN §1): resets are requested in the portal by an authorised login.
 */
const ASKS_FOR_RESET = /\b(password reset|reset (of )?(my |our |the )?(primary )?password|forg[eo]t(ten)? (my |our |the )?password|lost (my |our |the )?password|locked out|primary reset|new password|can'?t sign in|cannot sign in)\b/i;

export const asksForReset = (mail: Pick<InboundMail, "subject" | "text">): boolean => ASKS_FOR_RESET.test(mail.subject) || ASKS_FOR_RESET.test(mail.text);

/** The reply without the quoted history and signature below it, as email-reply-parser reads it. */
export const visibleReply = (text: string): string => new EmailReplyParser().read(text.replace(/\r\n/g, "\n")).getVisibleText().trim();

const actorOf = (login: LoginSummary, accountId: number | null): Actor => ({ id: login.id, username: login.username, displayName: login.displayName, role: login.role, accountId, ip: null });

/** Why a login may not write by mail now (disabled, or its account suspended), or null. */
async function cannotWrite(deps: TicketDeps, login: LoginSummary, accountId: number | null): Promise<string | null> {
  if (login.disabled) return `The login ${login.username} is disabled.`;
  if (accountId !== null && (await findAccount(deps.db, accountId))?.status !== "active") return `The account of ${login.username} is suspended.`;
  return null;
}

/**
 * What an inbound mail means (issue 17): a reply to a ticket's reply address, a new ticket from
 * a known customer, or an auto-reply. The pipeline has authenticated it and set noise aside.
 */
export function routeInboundMail(deps: TicketDeps, attachmentMaxBytes: number): InboundRouter {
  return async (mail, trx) => {
    // Every read and write in the pipeline's transaction: the ticket services nest theirs in it.
    const inTrx: TicketDeps = { ...deps, db: trx };
    const files = await filesOf(mail.attachments, attachmentMaxBytes);
    const token = replyTokenIn(mail.to, deps.mailer.sender.replyDomain ?? null);
    const known = token === null ? null : await findReplyToken(trx, hashToken(token));
    // An unknown token is no reply: the mail is read as a new one from its sender.
    return known ? routeReply(inTrx, mail, files, known) : routeNew(inTrx, mail, files);
  };
}

interface MailFiles {
  kept: CheckedFile[];
  /** One line per file left off, with why, added under the message so its reader knows. */
  leftOff: string[];
}

/**
 * A mail's attachments through the same checks as an upload, one by one: a mail is not refused
 * for one file the desk does not take (as a form is, where the sender can choose again); that file
 * is left off and named under the message.
 */
async function filesOf(attachments: readonly InboundAttachment[], maxBytes: number): Promise<MailFiles> {
  const result: MailFiles = { kept: [], leftOff: [] };
  for (const [i, a] of attachments.entries()) {
    const name = a.filename ?? `attachment ${i + 1}`;
    if (result.kept.length === ATTACHMENT_MAX_COUNT) {
      result.leftOff.push(`${name}: at most ${ATTACHMENT_MAX_COUNT} files are kept from one mail.`);
      continue;
    }
    const checked = await checkFiles([{ filename: name, content: a.content }], maxBytes);
    if (checked.ok) result.kept.push(...checked.value);
    else result.leftOff.push(Object.values(checked.problems).join(" "));
  }
  return result;
}

const withLeftOff = (body: string, files: MailFiles) =>
  (files.leftOff.length === 0 ? body : `${body}\n\n[Attachments not kept: ${files.leftOff.join(" ")}]`).slice(0, BODY_MAX);

async function routeReply(deps: TicketDeps, mail: InboundMail, files: MailFiles, known: { ticketId: number; userId: number }): Promise<InboundRouting> {
  const ticket = await findTicket(deps.db, known.ticketId);
  const person = await findLoginSummary(deps.db, known.userId);
  // Reset tickets never get reply addresses; a token that points at one is refused all the same.
  if (!ticket || !person || ticket.type === "primary_reset") return { kind: "ignored", reason: "The reply address belongs to no ticket that takes replies by mail." };
  const fromMatches = mail.from !== null && person.email !== null && mail.from.toLowerCase() === person.email.toLowerCase();
  if (!fromMatches && mail.releasedBy === null) return { kind: "quarantine", reason: `From: (${mail.from ?? "none"}) does not match the person this reply address belongs to (${person.username}).` };
  const accountId = isCustomer(person.role) ? ticket.accountId : null;
  const refusal = await cannotWrite(deps, person, accountId);
  if (refusal) return { kind: "quarantine", reason: `${refusal} Nothing was posted on ticket #${ticket.id}.` };
  // Closed is final in the status table: the sender is pointed to a new ticket.
  if (ticket.status === "closed") return { kind: "auto-reply", reply: "ticket-closed", reason: `Ticket #${ticket.id} is closed.` };
  const words = visibleReply(mail.text);
  if (words === "" && files.kept.length === 0) return { kind: "ignored", reason: "Nothing is left of the reply once the quoted history is taken away." };
  const body = withLeftOff(words || "(files only)", files);
  const actor = actorOf(person, accountId);
  const posted = isStaff(person.role) ? await addAgentReply(deps, actor, ticket.id, body, files.kept) : await addCustomerReply(deps, actor, ticket.id, body, files.kept);
  if (!posted.ok) return { kind: "auto-reply", reply: "ticket-closed", reason: Object.values(posted.problems).join(" ") };
  return { kind: "reply", ticketId: ticket.id };
}

async function routeNew(deps: TicketDeps, mail: InboundMail, files: MailFiles): Promise<InboundRouting> {
  if (asksForReset(mail)) return { kind: "auto-reply", reply: "reset-by-mail", reason: "The mail asks for a password reset, which is requested in the portal by an authorised login." };
  const logins = mail.from === null ? [] : (await loginsWithEmail(deps.db, mail.from)).filter((l) => isCustomer(l.role) && !l.disabled);
  // Several active customer logins with one address: the desk cannot tell which one wrote.
  if (logins.length !== 1) {
    const reason = logins.length === 0 ? "From: is no active customer login's registered address." : `From: is the registered address of ${logins.length} customer logins; the sender is asked to use the portal.`;
    return { kind: "auto-reply", reply: "unknown-sender", reason };
  }
  const login = logins[0]!;
  const refusal = await cannotWrite(deps, login, login.accountId);
  if (refusal) return { kind: "auto-reply", reply: "unknown-sender", reason: refusal };
  const words = visibleReply(mail.text);
  if (words === "") return { kind: "ignored", reason: "The mail has no text to open a ticket with." };
  const subject = mail.subject.trim().slice(0, SUBJECT_MAX) || "(no subject)";
  const ticketId = await createTicket(deps, actorOf(login, login.accountId), { type: "general", subject, body: withLeftOff(words, files) }, files.kept);
  return { kind: "ticket", ticketId };
}
