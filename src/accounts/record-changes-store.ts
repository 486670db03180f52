import type { Knex } from "knex";
import { hashToken, newToken } from "../shared/tokens.js";
import { asDate, insertReturningId, type Db } from "../shared/db.js";
import type { RecordWhat } from "./vocabulary.js";

type Conn = Db | Knex.Transaction;
type Row = Record<string, unknown>;

/** One change of the records a takeover starts with, who made it, and any objection to it. */
export interface RecordChange {
  id: number;
  accountId: number | null;
  what: RecordWhat;
  userId: number | null;
  contactId: number | null;
  /** The login's username or the contact's name at the time. */
  subjectName: string;
  before: string | null;
  after: string | null;
  changedBy: number | null;
  changedByName: string | null;
  createdAt: Date;
  objectedAt: Date | null;
  objectedBy: string | null;
  objectionClearedBy: number | null;
  objectionClearedByName: string | null;
  objectionClearedAt: Date | null;
  objectionClearNote: string | null;
}

export type NewRecordChange = Pick<RecordChange, "accountId" | "what" | "userId" | "contactId" | "subjectName" | "before" | "after" | "changedBy" | "changedByName">;

const idOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

const toChange = (r: Row): RecordChange => ({
  id: Number(r.id),
  accountId: idOrNull(r.account_id),
  what: r.what as RecordWhat,
  userId: idOrNull(r.user_id),
  contactId: idOrNull(r.contact_id),
  subjectName: r.subject_name as string,
  before: (r.before_value as string | null) ?? null,
  after: (r.after_value as string | null) ?? null,
  changedBy: idOrNull(r.changed_by),
  changedByName: (r.changed_by_name as string | null) ?? null,
  createdAt: asDate(r.created_at)!,
  objectedAt: asDate(r.objected_at),
  objectedBy: (r.objected_by as string | null) ?? null,
  objectionClearedBy: idOrNull(r.objection_cleared_by),
  objectionClearedByName: (r.cleared_by_name as string | null) ?? null,
  objectionClearedAt: asDate(r.objection_cleared_at),
  objectionClearNote: (r.objection_clear_note as string | null) ?? null,
});

/** The changes with the username of the admin who cleared an objection, if one did (a join, not a query per change). */
const selectChanges = (db: Conn) =>
  db("record_changes").leftJoin("users as clearer", "clearer.id", "record_changes.objection_cleared_by").select("record_changes.*", "clearer.username as cleared_by_name");

/**
 * An objection stands while it was raised and not cleared by an admin. The row holds the
 * current objection (raising one again opens it afresh); every clearance is kept in
 * record_change_clearances.
 */
export const hasOpenChangeObjection = (c: RecordChange) => c.objectedAt !== null && c.objectionClearedAt === null;

const openObjection = (w: Knex.QueryBuilder) => w.whereNotNull("record_changes.objected_at").whereNull("record_changes.objection_cleared_at");

export async function insertRecordChange(trx: Knex.Transaction, c: NewRecordChange, now: Date): Promise<number> {
  return insertReturningId(trx, "record_changes", {
    account_id: c.accountId,
    what: c.what,
    user_id: c.userId,
    contact_id: c.contactId,
    subject_name: c.subjectName,
    before_value: c.before,
    after_value: c.after,
    changed_by: c.changedBy,
    changed_by_name: c.changedByName,
    created_at: now,
  });
}

export async function findRecordChange(db: Conn, id: number): Promise<RecordChange | null> {
  const row: unknown = await selectChanges(db).where("record_changes.id", id).first();
  return row ? toChange(row as Row) : null;
}

export async function updateRecordChange(trx: Knex.Transaction, id: number, fields: Row): Promise<void> {
  await trx("record_changes").where({ id }).update(fields);
}

/**
 * The changes that bear on a primary reset of the account: those of the primary login (email,
 * key) and of any contact made since `since`, and any of the account's with an objection still
 * open, whenever made. Newest first.
 */
export async function accountRecordChanges(db: Conn, accountId: number, primaryId: number, since: Date): Promise<RecordChange[]> {
  const rows: unknown = await selectChanges(db)
    .where("record_changes.account_id", accountId)
    .andWhere((w) =>
      w
        .where((recent) => recent.where("record_changes.created_at", ">", since).andWhere((of) => of.whereNull("record_changes.user_id").orWhere("record_changes.user_id", primaryId)))
        .orWhere(openObjection),
    )
    .orderBy("record_changes.id", "desc");
  return (rows as Row[]).map(toChange);
}

/** The changes of several accounts' records made after `since`, newest first, in one query (the queue's reset rows). */
export async function recordChangesOfAccountsSince(db: Conn, accountIds: number[], since: Date): Promise<RecordChange[]> {
  if (accountIds.length === 0) return [];
  const rows: unknown = await selectChanges(db).whereIn("record_changes.account_id", accountIds).andWhere("record_changes.created_at", ">", since).orderBy("record_changes.id", "desc");
  return (rows as Row[]).map(toChange);
}

/** Every change of an account's records (any login or contact of it), newest first, at most `limit`. */
export async function changesOfAccount(db: Conn, accountId: number, limit: number): Promise<RecordChange[]> {
  const rows: unknown = await selectChanges(db).where("record_changes.account_id", accountId).orderBy("record_changes.id", "desc").limit(limit);
  return (rows as Row[]).map(toChange);
}

/** Every change of one login's email or key, newest first, at most `limit`. */
export async function changesOfLogin(db: Conn, userId: number, limit: number): Promise<RecordChange[]> {
  const rows: unknown = await selectChanges(db).where("record_changes.user_id", userId).orderBy("record_changes.id", "desc").limit(limit);
  return (rows as Row[]).map(toChange);
}

/**
 * The changes of one login's registered email that bear on mailing it a way in: those made
 * since `since` and those with an objection still open, whenever made. Every one, newest first:
 * no limit, so that a flood of other changes cannot push one out of sight.
 */
export async function emailChangesBearingOn(db: Conn, userId: number, since: Date): Promise<RecordChange[]> {
  const rows: unknown = await selectChanges(db)
    .where("record_changes.user_id", userId)
    .where("record_changes.what", "email")
    .andWhere((w) => w.where("record_changes.created_at", ">", since).orWhere(openObjection))
    .orderBy("record_changes.id", "desc");
  return (rows as Row[]).map(toChange);
}

/** Records one clearance of an objection to a change: the history, kept when an objection is raised again. */
export async function insertClearance(trx: Knex.Transaction, change: RecordChange, clearedBy: number, note: string, now: Date): Promise<void> {
  await trx("record_change_clearances").insert({ record_change_id: change.id, account_id: change.accountId, cleared_by: clearedBy, note, cleared_at: now });
}

export interface Clearance {
  clearedByName: string;
  note: string;
  clearedAt: Date;
}

/** Every clearance of objections to one change, oldest first, with who cleared it (a join, not a query per clearance). */
export async function clearancesOfChange(db: Conn, changeId: number): Promise<Clearance[]> {
  const rows: unknown = await db("record_change_clearances as c").join("users as u", "u.id", "c.cleared_by").where("c.record_change_id", changeId).orderBy("c.id").select("u.username", "c.note", "c.cleared_at");
  return (rows as Row[]).map((r) => ({ clearedByName: r.username as string, note: r.note as string, clearedAt: asDate(r.cleared_at)! }));
}

/** The changes of an account's records an admin cleared an objection to since `since` (by clear time, whenever the change was made), each with who cleared it. */
export async function clearancesOfAccountSince(db: Conn, accountId: number, since: Date): Promise<{ change: RecordChange; clearedBy: number }[]> {
  const rows: unknown = await db("record_change_clearances").where({ account_id: accountId }).where("cleared_at", ">", since).orderBy("id").select("record_change_id", "cleared_by");
  const found: { change: RecordChange; clearedBy: number }[] = [];
  for (const r of rows as Row[]) {
    const change = await findRecordChange(db, Number(r.record_change_id));
    if (change) found.push({ change, clearedBy: Number(r.cleared_by) });
  }
  return found;
}

/** A new single-use objection link's token for one recipient of a change's notice; only its hash is stored. */
export async function insertChangeToken(trx: Knex.Transaction, changeId: number, recipient: string, expiresAt: Date, now: Date): Promise<string> {
  const token = newToken();
  await trx("record_change_tokens").insert({ record_change_id: changeId, recipient, token_hash: hashToken(token), expires_at: expiresAt, created_at: now });
  return token;
}

export interface ChangeToken {
  id: number;
  changeId: number;
  recipient: string;
}

/** The token's record while it is unused and unexpired; else null. */
export async function findLiveChangeToken(db: Conn, token: string, now: Date): Promise<ChangeToken | null> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const row = (await db("record_change_tokens").where({ token_hash: hashToken(token) }).whereNull("used_at").where("expires_at", ">", now).first()) as Row | undefined;
  return row ? { id: Number(row.id), changeId: Number(row.record_change_id), recipient: row.recipient as string } : null;
}

export async function spendChangeToken(trx: Knex.Transaction, tokenId: number, now: Date): Promise<boolean> {
  return (await trx("record_change_tokens").where({ id: tokenId }).whereNull("used_at").update({ used_at: now })) === 1;
}
