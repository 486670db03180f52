import type { Knex } from "knex";
import { appendAudit } from "../platform/audit/audit-log.js";
import { findLoginById, isConfirmedStaff, primaryLoginOf, spendLinksOf, UNCONFIRMED_STAFF } from "../identity/index.js";
import { composeSealed } from "../platform/mail/compose.js";
import { formatInZone } from "../shared/formatting.js";
import type { MailingDeps } from "../platform/mail/mailer.js";
import { enqueue } from "../platform/mail/outbox-store.js";
import { renderMailTemplate } from "../platform/mail/templates.js";
import { isStaff } from "../shared/roles.js";
import { done, refused, Refusal, type Result } from "../shared/problems.js";
import { contactsOfAccount, findAccount } from "./accounts-store.js";
import { CHANGE_OBJECTION_TTL_MS, describeChange } from "./vocabulary.js";
import type { Actor } from "../shared/actor.js";
import {
  findLiveChangeToken,
  findRecordChange,
  hasOpenChangeObjection,
  insertChangeToken,
  insertClearance,
  insertRecordChange,
  spendChangeToken,
  updateRecordChange,
  type NewRecordChange,
  type RecordChange,
} from "./record-changes-store.js";

type Conn = Knex | Knex.Transaction;

export interface Recipient {
  email: string;
  name: string;
}

/** The addresses given, each once whatever its case, in order. */
export function distinctRecipients(candidates: { email: string | null; name: string }[]): Recipient[] {
  const seen = new Map<string, Recipient>();
  for (const { email, name } of candidates) {
    if (email && !seen.has(email.toLowerCase())) seen.set(email.toLowerCase(), { email, name });
  }
  return [...seen.values()];
}

async function primaryRecipient(db: Conn, accountId: number): Promise<{ email: string | null; name: string }[]> {
  const primary = await primaryLoginOf(db, accountId);
  return primary ? [{ email: primary.email, name: primary.displayName }] : [];
}

/** The people on an account's records as they are now: the primary login's address and every contact's. */
export async function accountRecipients(db: Conn, accountId: number): Promise<Recipient[]> {
  return distinctRecipients([...(await primaryRecipient(db, accountId)), ...(await contactsOfAccount(db, accountId))]);
}

/**
 * Who hears of a change to a login's email or key (read before the change): its own address;
 * for a primary, every contact too; for a secondary, the primary holder, who manages it.
 */
export async function loginRecipients(db: Conn, login: { accountId: number | null; role: string; email: string | null; displayName: string }): Promise<Recipient[]> {
  const own = { email: login.email, name: login.displayName };
  if (login.accountId === null) return distinctRecipients([own]);
  if (login.role === "primary") return distinctRecipients([own, ...(await contactsOfAccount(db, login.accountId))]);
  return distinctRecipients([own, ...(await primaryRecipient(db, login.accountId))]);
}

const auditSubject = (c: Pick<RecordChange, "userId" | "contactId">) => (c.userId !== null ? `user:${c.userId}` : `contact:${c.contactId}`);

/**
 * Records one change in the caller's transaction (the one that makes it) and queues, to each
 * recipient, a plain notice naming what changed, who changed it and when, with a single-use
 * link to object (sealed at rest, as it is a credential). Audited with the recipients.
 */
export async function noteRecordChange(
  trx: Knex.Transaction,
  deps: MailingDeps,
  change: Omit<NewRecordChange, "changedBy" | "changedByName">,
  recipients: Recipient[],
  actor: Actor,
  now: Date,
): Promise<number> {
  const id = await insertRecordChange(trx, { ...change, changedBy: actor.id, changedByName: actor.username }, now);
  const changer = await findLoginById(trx, actor.id);
  const account = change.accountId === null ? null : await findAccount(trx, change.accountId);
  const changedBy = changer && isStaff(changer.role) ? `${changer.username}, of Vouchdesk support` : `${actor.username}, a login of your account`;
  const expiresAt = new Date(now.getTime() + CHANGE_OBJECTION_TTL_MS);
  const description = describeChange(change);
  for (const r of recipients) {
    const token = await insertChangeToken(trx, id, r.email, expiresAt, now);
    const data = {
      recipientName: r.name,
      description,
      accountName: account?.name ?? null,
      changedBy,
      changedAt: formatInZone(now, deps.mailer.timeZone),
      objectionUrl: `${deps.mailer.baseUrl}/objections/changes/${token}`,
      expiresAt: formatInZone(expiresAt, deps.mailer.timeZone),
      baseUrl: deps.mailer.baseUrl,
    };
    const { text } = await renderMailTemplate("record-change", data, false);
    const subject = `A change to your Vouchdesk records: ${description}`;
    await enqueue(trx, await composeSealed(deps.mailer.sender, { to: r.email, subject, template: "record-change", text }, deps.mailer.deskKey, now), now);
  }
  await appendAudit(
    trx,
    { action: "record_change.noticed", actorId: actor.id, actor: actor.username, ip: actor.ip, subject: auditSubject(change), details: { changeId: id, what: change.what, notified: recipients.map((r) => r.email) } },
    now,
  );
  return id;
}

/** The change a live objection link is about, or null for an unknown, used or expired link. */
export async function liveChangeObjection(db: Conn, token: string, now: Date): Promise<{ tokenId: number; recipient: string; change: RecordChange } | null> {
  const found = await findLiveChangeToken(db, token, now);
  const change = found ? await findRecordChange(db, found.changeId) : null;
  return found && change ? { tokenId: found.id, recipient: found.recipient, change } : null;
}

/**
 * What else an objection to a change does, in its transaction: wired where the app is put
 * together (the resets feature withdraws the account's delivered temporary password), as
 * accounts does not reach into resets.
 */
export type OnChangeObjected = (trx: Knex.Transaction, change: RecordChange, ip: string | null, now: Date) => Promise<void>;

/**
 * "I did not make or expect this change": the change is flagged (every reset of the account
 * waits until an admin has reviewed it; a link to a changed address is not sent), and the
 * desk fails closed: every live set-password or reset link of the changed login is spent (it
 * may be on its way to the new address), then `onObjected` runs. The objection link is spent.
 * Returns the change, or null when the link is no longer valid.
 */
export async function objectToChange(deps: MailingDeps, token: string, ip: string | null, onObjected?: OnChangeObjected): Promise<RecordChange | null> {
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    const live = await liveChangeObjection(trx, token, now);
    if (!live || !(await spendChangeToken(trx, live.tokenId, now))) return null;
    // A new objection opens afresh; an earlier clearance stays in record_change_clearances.
    await updateRecordChange(trx, live.change.id, { objected_at: now, objected_by: live.recipient, objection_cleared_at: null, objection_cleared_by: null, objection_clear_note: null });
    const linksSpent = live.change.userId === null ? 0 : await spendLinksOf(trx, live.change.userId, now);
    await appendAudit(
      trx,
      { action: "record_change.objected", ip, subject: auditSubject(live.change), details: { changeId: live.change.id, what: live.change.what, recipient: live.recipient, linksSpent } },
      now,
    );
    await onObjected?.(trx, live.change, ip, now);
    return live.change;
  });
}

/**
 * An admin other than the one who made the change clears an objection to it after reviewing it,
 * with a note. A change that is not there (any more) is a 404.
 */
export async function clearChangeObjection(deps: MailingDeps, changeId: number, admin: Actor, note: string): Promise<Result> {
  const now = deps.clock.now();
  return deps.db.transaction(async (trx): Promise<Result> => {
    const change = await findRecordChange(trx, changeId);
    if (!change) throw new Refusal("missing", "There is no such change.");
    if (!hasOpenChangeObjection(change)) return refused({ note: "There is no open objection to this change." });
    if (change.changedBy === admin.id) return refused({ note: "You made this change: another admin must review the objection to it." });
    if (!(await isConfirmedStaff(trx, admin.id))) return refused({ note: UNCONFIRMED_STAFF });
    await updateRecordChange(trx, change.id, { objection_cleared_by: admin.id, objection_cleared_at: now, objection_clear_note: note });
    await insertClearance(trx, change, admin.id, note, now);
    await appendAudit(
      trx,
      { action: "record_change.objection_cleared", actorId: admin.id, actor: admin.username, ip: admin.ip, subject: auditSubject(change), details: { changeId: change.id, what: change.what, note } },
      now,
    );
    return done();
  });
}
