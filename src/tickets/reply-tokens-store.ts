import type { Knex } from "knex";
import type { Db } from "../shared/db.js";

type Conn = Db | Knex.Transaction;

export async function insertReplyToken(trx: Conn, row: { ticketId: number; userId: number; tokenHash: string }, now: Date): Promise<void> {
  await trx("reply_tokens").insert({ ticket_id: row.ticketId, user_id: row.userId, token_hash: row.tokenHash, created_at: now });
}

/** The ticket and person a reply address was made for, by its token's hash. */
export async function findReplyToken(db: Conn, tokenHash: string): Promise<{ ticketId: number; userId: number } | null> {
  const row = (await db("reply_tokens").select("ticket_id", "user_id").where({ token_hash: tokenHash }).first()) as Record<string, unknown> | undefined;
  return row ? { ticketId: Number(row.ticket_id), userId: Number(row.user_id) } : null;
}
