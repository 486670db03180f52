import type { Knex } from "knex";
import { asDate, insertReturningId, type Db } from "../shared/db.js";

/** A canned reply as admins keep it: a title unique whatever its case, a body with placeholders. */
export interface CannedReply {
  id: number;
  title: string;
  body: string;
  updatedBy: string;
  updatedAt: Date;
}

type Conn = Db | Knex.Transaction;

/** The key a title is unique by: "Welcome" and "welcome " are one title. */
export const titleKey = (title: string) => title.trim().toLowerCase();

const toCanned = (r: Record<string, unknown>): CannedReply => ({
  id: Number(r.id),
  title: r.title as string,
  body: r.body as string,
  updatedBy: r.updated_by_username as string,
  updatedAt: asDate(r.updated_at)!,
});

const selectCanned = (db: Conn) => db("canned_replies as c").join("users as u", "u.id", "c.updated_by").select("c.id", "c.title", "c.body", "c.updated_at", "u.username as updated_by_username");

/** Every canned reply, by title: there are tens, not thousands. */
export async function listCannedReplies(db: Conn): Promise<CannedReply[]> {
  return ((await selectCanned(db).orderBy("c.title_key")) as Record<string, unknown>[]).map(toCanned);
}

export async function findCannedReply(db: Conn, id: number): Promise<CannedReply | null> {
  const row = (await selectCanned(db).where("c.id", id).first()) as Record<string, unknown> | undefined;
  return row ? toCanned(row) : null;
}

/** Whether another canned reply (not `exceptId`) has this title, whatever its case. */
export async function cannedTitleTaken(db: Conn, title: string, exceptId: number | null): Promise<boolean> {
  const query = db("canned_replies").where("title_key", titleKey(title));
  if (exceptId !== null) query.whereNot("id", exceptId);
  return (await query.first("id")) !== undefined;
}

export async function insertCannedReply(trx: Knex.Transaction, reply: { title: string; body: string }, by: number, now: Date): Promise<number> {
  return insertReturningId(trx, "canned_replies", { title: reply.title, title_key: titleKey(reply.title), body: reply.body, updated_by: by, created_at: now, updated_at: now });
}

export async function updateCannedReplyRow(trx: Knex.Transaction, id: number, reply: { title: string; body: string }, by: number, now: Date): Promise<void> {
  await trx("canned_replies").where({ id }).update({ title: reply.title, title_key: titleKey(reply.title), body: reply.body, updated_by: by, updated_at: now });
}

export async function deleteCannedReplyRow(trx: Knex.Transaction, id: number): Promise<void> {
  await trx("canned_replies").where({ id }).delete();
}
