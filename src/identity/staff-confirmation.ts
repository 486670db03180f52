import type { Knex } from "knex";
import { appendAudit } from "../platform/audit/audit-log.js";
import { composePlain } from "../platform/mail/compose.js";
import { formatInZone } from "../shared/formatting.js";
import type { MailingDeps } from "../platform/mail/mailer.js";
import { enqueue } from "../platform/mail/outbox-store.js";
import { renderMailTemplate } from "../platform/mail/templates.js";
import type { Db } from "../shared/db.js";
import type { Actor } from "../shared/actor.js";
import { isStaff } from "../shared/roles.js";
import { findLoginById, listConfirmedAdmins, setStaffConfirmation, type Login } from "./users-store.js";

/*
 * Four eyes on staff identity (issue 10 review 1a): every id check of the reset (two people,
 * approver not the record changer, not the objection clearer) is worth nothing if one admin
 * can mint the other people. A staff login made in the console is unconfirmed until a second,
 * confirmed admin confirms it, and is unconfirmed again when its credential passes through
 * another person's hands; until then it works tickets but takes no part in a reset decision.
 */

type Conn = Db | Knex.Transaction;

/** What an unconfirmed staff login is told when it tries a step of a reset decision. */
export const UNCONFIRMED_STAFF = "Your staff login is not yet confirmed by a second admin: you may work tickets, but take no part in a reset decision.";

/** Whether the login is staff confirmed by a second admin (read fresh: a confirmation can be taken back at any time). */
export async function isConfirmedStaff(db: Conn, id: number): Promise<boolean> {
  const login = await findLoginById(db as Db, id);
  return Boolean(login && isStaff(login.role) && login.confirmedAt && !login.disabledAt);
}

/** Why `confirmer` may not confirm `login` now; null when it may. */
export function confirmationRefusal(login: Login, confirmer: Login): string | null {
  if (!isStaff(login.role)) return "Only staff logins are confirmed.";
  if (login.confirmedAt) return `${login.username} is confirmed already.`;
  if (confirmer.id === login.id) return "Nobody confirms their own login: another admin must.";
  if (confirmer.id === login.createdBy) return `You created ${login.username}: another admin must confirm it.`;
  if (confirmer.id === login.unconfirmedBy) return `You changed ${login.username}'s address or sent it a link: another admin must confirm it.`;
  if (confirmer.role !== "admin" || !confirmer.confirmedAt) return UNCONFIRMED_STAFF;
  if (login.disabledAt) return `${login.username} is disabled: enable it first.`;
  return null;
}

/** A second admin confirms a staff login, audited; returns the refusal, or null when done. */
export async function confirmStaffLogin(deps: MailingDeps, loginId: number, actor: Actor): Promise<string | null> {
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    const login = await findLoginById(trx, loginId);
    const confirmer = await findLoginById(trx, actor.id);
    const refusal = login && confirmer ? confirmationRefusal(login, confirmer) : "There is no such login.";
    if (refusal) return refusal;
    await setStaffConfirmation(trx, loginId, { confirmedBy: actor.id }, now);
    const details = { username: login!.username, role: login!.role, createdBy: login!.createdBy, unconfirmedBy: login!.unconfirmedBy };
    await appendAudit(trx, { action: "login.confirmed", actorId: actor.id, actor: actor.username, ip: actor.ip, subject: `user:${loginId}`, details }, now);
    return null;
  });
}

/**
 * A confirmed staff login whose email someone else changed, or to which an admin sent a
 * set-password link, needs confirming again: who holds it now is no longer known. Audited.
 */
export async function unconfirmStaff(trx: Knex.Transaction, login: Login, actor: Actor, why: "email_changed" | "link_sent" | "factors_removed", now: Date): Promise<void> {
  if (!isStaff(login.role) || !login.confirmedAt || actor.id === login.id) return;
  await setStaffConfirmation(trx, login.id, { unconfirmedBy: actor.id }, now);
  await appendAudit(trx, { action: "login.unconfirmed", actorId: actor.id, actor: actor.username, ip: actor.ip, subject: `user:${login.id}`, details: { username: login.username, why } }, now);
}

/** A plain notice to every confirmed admin that a staff login was made, by whom, for which address: a puppet is seen. */
export async function noticeStaffCreated(trx: Knex.Transaction, deps: MailingDeps, created: { id: number; username: string; role: string; displayName: string; email: string }, actor: Actor, now: Date): Promise<void> {
  for (const admin of await listConfirmedAdmins(trx)) {
    if (!admin.email) continue;
    const data = {
      recipientName: admin.displayName,
      createdBy: actor.username,
      createdAt: formatInZone(now, deps.mailer.timeZone),
      username: created.username,
      roleWord: created.role === "admin" ? "an admin" : "an agent",
      displayName: created.displayName,
      email: created.email,
      loginUrl: `${deps.mailer.baseUrl}/admin/logins/${created.id}`,
      baseUrl: deps.mailer.baseUrl,
    };
    const { text } = await renderMailTemplate("staff-created", data, false);
    const subject = `New staff login ${created.username}, created by ${actor.username}`;
    await enqueue(trx, await composePlain(deps.mailer.sender, { to: admin.email, subject, template: "staff-created", text, html: null }, now), now);
  }
}
