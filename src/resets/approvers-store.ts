import type { Knex } from "knex";
import type { Db } from "../shared/db.js";

// Who may approve each pending request now (handoff.ts keeps it): the rows of
// `reset_approvers`, read by "Awaiting my approval" and the nav's count by user.

type Conn = Db | Knex.Transaction;
type Row = Record<string, unknown>;

/**
 * Makes the stored approvers of the request exactly `userIds`: those no longer there go, the
 * new ones come with `since` = now, the others keep theirs. Returns the ids added.
 */
export async function replaceApprovers(trx: Knex.Transaction, request: { id: number; ticketId: number }, userIds: number[], now: Date): Promise<number[]> {
  const rows: Row[] = await trx("reset_approvers").where({ request_id: request.id }).select("user_id");
  const stored = new Set(rows.map((r) => Number(r.user_id)));
  const gone = [...stored].filter((id) => !userIds.includes(id));
  const added = userIds.filter((id) => !stored.has(id));
  if (gone.length) await trx("reset_approvers").where({ request_id: request.id }).whereIn("user_id", gone).delete();
  if (added.length) await trx("reset_approvers").insert(added.map((id) => ({ request_id: request.id, ticket_id: request.ticketId, user_id: id, since: now })));
  return added;
}

/** A request that left pending has nobody to approve it. */
export async function clearApprovers(trx: Knex.Transaction, requestId: number): Promise<void> {
  await trx("reset_approvers").where({ request_id: requestId }).delete();
}

export async function isStoredApprover(db: Conn, requestId: number, userId: number): Promise<boolean> {
  return (await db("reset_approvers").where({ request_id: requestId, user_id: userId }).first("user_id")) !== undefined;
}

/** The ids of the tickets whose pending request this login may approve, as a subquery (index user_id, ticket_id). */
export const ticketsAwaitingApprovalBy = (db: Db, userId: number): Knex.QueryBuilder => db("reset_approvers").where({ user_id: userId }).select("ticket_id");

/** How many requests this login may approve now: one count on the index, for the nav of every staff page. */
export async function countAwaitingApprovalBy(db: Db, userId: number): Promise<number> {
  const row = (await db("reset_approvers").where({ user_id: userId }).count({ n: "*" }).first()) as Row | undefined;
  return Number(row?.n ?? 0);
}

/** How many may approve each of these requests now, in one query (requests nobody may approve are absent). */
export async function approverCountsOf(db: Conn, requestIds: readonly number[]): Promise<Map<number, number>> {
  if (requestIds.length === 0) return new Map();
  const rows: Row[] = await db("reset_approvers").whereIn("request_id", requestIds).groupBy("request_id").select("request_id").count({ n: "*" });
  return new Map(rows.map((r) => [Number(r.request_id), Number(r.n)]));
}

/** The pending requests, oldest first: the scheduled refresh goes through each. */
export async function pendingRequestTickets(db: Db): Promise<number[]> {
  const rows: Row[] = await db("reset_requests").where({ state: "pending" }).orderBy("id").select("ticket_id");
  return rows.map((r) => Number(r.ticket_id));
}
