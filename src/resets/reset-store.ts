import type { Knex } from "knex";
import { hashToken, newToken } from "../shared/tokens.js";
import { asDate, insertReturningId, type Db } from "../shared/db.js";
import { clearApprovers } from "./approvers-store.js";
import { OPEN_RESET_STATES, RESET_MOVES, RESET_STATES, type CallbackOutcome, type ResetMove, type ResetState } from "./vocabulary.js";

type Conn = Db | Knex.Transaction;
type Row = Record<string, unknown>;

export interface ResetRequest {
  id: number;
  ticketId: number;
  accountId: number;
  requesterId: number;
  targetUserId: number;
  state: ResetState;
  reason: string;
  /** The requester said the holder lost the second factor too: an admin approves, delivery removes the factors. */
  factorLost: boolean;
  objectedAt: Date | null;
  objectedBy: string | null;
  objectionClearedAt: Date | null;
  objectionClearedBy: number | null;
  approvedBy: number | null;
  approvedAt: Date | null;
  rejectedBy: number | null;
  rejectedAt: Date | null;
  rejectionReason: string | null;
  /** Why a delivered temporary password was withdrawn (the agent's reason, or the objection's), once it was. */
  withdrawalReason: string | null;
  keyFingerprint: string | null;
  /** The temporary password's mail, once approved. */
  outboxId: number | null;
  tempExpiresAt: Date | null;
  redeemedAt: Date | null;
  /** A key-less primary's delivery passphrase is held, sealed, until the request leaves pending. */
  hasDeliveryPassphrase: boolean;
  /** The confirmed callback the passphrase was read on (kept after the passphrase is erased). */
  passphraseCallbackId: number | null;
  createdAt: Date;
}

/** How many reset requests are in each state (every state named, 0 when none): one grouped query, for /metrics. */
export async function countRequestsByState(db: Conn): Promise<Record<ResetState, number>> {
  const rows: unknown = await db("reset_requests").select("state").count({ n: "*" }).groupBy("state");
  const counts = Object.fromEntries(RESET_STATES.map((s) => [s, 0])) as Record<ResetState, number>;
  for (const r of rows as { state: ResetState; n: number | string }[]) counts[r.state] = Number(r.n);
  return counts;
}

const id = (v: unknown) => (v === null || v === undefined ? null : Number(v));

const toRequest = (r: Row): ResetRequest => ({
  id: Number(r.id),
  ticketId: Number(r.ticket_id),
  accountId: Number(r.account_id),
  requesterId: Number(r.requester_id),
  targetUserId: Number(r.target_user_id),
  state: r.state as ResetState,
  reason: r.reason as string,
  // SQLite gives 0/1, PostgreSQL true/false.
  factorLost: Boolean(r.factor_lost),
  objectedAt: asDate(r.objected_at),
  objectedBy: (r.objected_by as string | null) ?? null,
  objectionClearedAt: asDate(r.objection_cleared_at),
  objectionClearedBy: id(r.objection_cleared_by),
  approvedBy: id(r.approved_by),
  approvedAt: asDate(r.approved_at),
  rejectedBy: id(r.rejected_by),
  rejectedAt: asDate(r.rejected_at),
  rejectionReason: (r.rejection_reason as string | null) ?? null,
  withdrawalReason: (r.withdrawal_reason as string | null) ?? null,
  keyFingerprint: (r.key_fingerprint as string | null) ?? null,
  outboxId: id(r.outbox_id),
  tempExpiresAt: asDate(r.temp_expires_at),
  redeemedAt: asDate(r.redeemed_at),
  hasDeliveryPassphrase: r.delivery_passphrase_sealed !== null && r.delivery_passphrase_sealed !== undefined,
  passphraseCallbackId: id(r.passphrase_callback_id),
  createdAt: asDate(r.created_at)!,
});

export async function insertResetRequest(
  trx: Knex.Transaction,
  r: { ticketId: number; accountId: number; requesterId: number; targetUserId: number; reason: string; factorLost: boolean },
  now: Date,
): Promise<number> {
  return insertReturningId(trx, "reset_requests", {
    ticket_id: r.ticketId,
    account_id: r.accountId,
    requester_id: r.requesterId,
    target_user_id: r.targetUserId,
    reason: r.reason,
    factor_lost: r.factorLost,
    state: "pending",
    created_at: now,
    updated_at: now,
  });
}

export async function findRequestByTicket(db: Conn, ticketId: number): Promise<ResetRequest | null> {
  const row: unknown = await db("reset_requests").where({ ticket_id: ticketId }).first();
  return row ? toRequest(row as Row) : null;
}

export async function findRequestById(db: Conn, id: number): Promise<ResetRequest | null> {
  const row: unknown = await db("reset_requests").where({ id }).first();
  return row ? toRequest(row as Row) : null;
}

export async function findOpenRequestOfAccount(db: Conn, accountId: number): Promise<ResetRequest | null> {
  const row: unknown = await db("reset_requests").where({ account_id: accountId }).whereIn("state", OPEN_RESET_STATES).first();
  return row ? toRequest(row as Row) : null;
}

export async function findDeliveredRequestFor(db: Conn, targetUserId: number): Promise<ResetRequest | null> {
  const row: unknown = await db("reset_requests").where({ target_user_id: targetUserId, state: "delivered" }).first();
  return row ? toRequest(row as Row) : null;
}

/** The delivered request whose temporary password travels in this outbox mail, if any. */
export async function findDeliveredRequestByMail(db: Conn, outboxId: number): Promise<ResetRequest | null> {
  const row: unknown = await db("reset_requests").where({ outbox_id: outboxId, state: "delivered" }).first();
  return row ? toRequest(row as Row) : null;
}

/** A request with its temporary password mail's outbox status (null before approval). */
export interface RequestWithMail {
  request: ResetRequest;
  mail: { status: string; nextAttemptAt: Date | null } | null;
}

/** Requests with their mail's status: the mail's two columns come by a join, never a query per request. */
const requestsWithMail = (db: Conn) =>
  db("reset_requests").leftJoin("outbox", "outbox.id", "reset_requests.outbox_id").select("reset_requests.*", "outbox.status as mail_status", "outbox.next_attempt_at as mail_next_attempt_at");

const toRequestWithMail = (r: Row): RequestWithMail => ({
  request: toRequest(r),
  mail: r.mail_status ? { status: r.mail_status as string, nextAttemptAt: asDate(r.mail_next_attempt_at) } : null,
});

/** For the queue's rows: the request of each of these tickets and its mail, in one query. */
export async function requestsOfTickets(db: Conn, ticketIds: number[]): Promise<RequestWithMail[]> {
  if (ticketIds.length === 0) return [];
  const rows: unknown = await requestsWithMail(db).whereIn("reset_requests.ticket_id", ticketIds);
  return (rows as Row[]).map(toRequestWithMail);
}

/** An account's requests other than the one of ticket `exceptTicketId`, newest first, at most `limit`, with their mail (one query). */
export async function requestsOfAccount(db: Conn, accountId: number, exceptTicketId: number, limit: number): Promise<RequestWithMail[]> {
  const rows: unknown = await requestsWithMail(db)
    .where("reset_requests.account_id", accountId)
    .andWhere("reset_requests.ticket_id", "<>", exceptTicketId)
    .orderBy("reset_requests.id", "desc")
    .limit(limit);
  return (rows as Row[]).map(toRequestWithMail);
}

/** For a customer's list: the state of the request of each of these tickets that has one. */
export async function statesOfTickets(db: Conn, ticketIds: number[]): Promise<{ ticketId: number; state: ResetState }[]> {
  if (ticketIds.length === 0) return [];
  const rows: unknown = await db("reset_requests").whereIn("ticket_id", ticketIds).select("ticket_id", "state");
  return (rows as Row[]).map((r) => ({ ticketId: Number(r.ticket_id), state: r.state as ResetState }));
}

/** Delivered requests whose temporary password has run out. */
export async function findExpiredDeliveries(db: Conn, now: Date): Promise<ResetRequest[]> {
  const rows: unknown = await db("reset_requests").where({ state: "delivered" }).andWhere("temp_expires_at", "<=", now).orderBy("id");
  return (rows as Row[]).map(toRequest);
}

/** Delivered requests whose temporary password runs out by `until`, not yet, and whose holder was not warned about yet. */
export async function findDeliveriesExpiringBy(db: Conn, now: Date, until: Date): Promise<ResetRequest[]> {
  const rows: unknown = await db("reset_requests").where({ state: "delivered" }).whereNull("expiry_notice_at").andWhere("temp_expires_at", ">", now).andWhere("temp_expires_at", "<=", until).orderBy("id");
  return (rows as Row[]).map(toRequest);
}

/** Marks the expiry notice sent, only once: false when another run marked it first. */
export async function markExpiryNoticed(trx: Knex.Transaction, requestId: number, now: Date): Promise<boolean> {
  return (await trx("reset_requests").where({ id: requestId, state: "delivered" }).whereNull("expiry_notice_at").update({ expiry_notice_at: now })) === 1;
}

/**
 * Writes one move of the state table, only from its `from` state: of two racing approvals
 * exactly one updates the row, the other sees 0 and gives up. Only `moveRequest` calls it.
 * A move out of pending erases the delivery passphrase, whichever it is (approval read it
 * before, in the same transaction; rejection, and any end, never need it), and its approvers.
 */
export async function updateRequestState(trx: Knex.Transaction, requestId: number, move: ResetMove, fields: Row, now: Date): Promise<boolean> {
  const { from, to } = RESET_MOVES[move];
  const erased = to === "pending" ? {} : { delivery_passphrase_sealed: null };
  const updated = await trx("reset_requests").where({ id: requestId, state: from }).update({ ...fields, ...erased, state: to, updated_at: now });
  // Nobody approves a request that left pending: "Awaiting my approval" empties with the move.
  if (updated === 1 && to !== "pending") await clearApprovers(trx, requestId);
  return updated === 1;
}

/** Keeps a new delivery passphrase, sealed, with the callback it was read on: it replaces any earlier one. */
export async function storeDeliveryPassphrase(trx: Knex.Transaction, requestId: number, sealed: string, callbackId: number, now: Date): Promise<void> {
  await trx("reset_requests").where({ id: requestId, state: "pending" }).update({ delivery_passphrase_sealed: sealed, passphrase_callback_id: callbackId, updated_at: now });
}

/** The sealed delivery passphrase, for delivery only; null when none is held. */
export async function sealedDeliveryPassphrase(trx: Knex.Transaction, requestId: number): Promise<string | null> {
  const row: unknown = await trx("reset_requests").where({ id: requestId }).first("delivery_passphrase_sealed");
  return ((row as Row | undefined)?.delivery_passphrase_sealed as string | null | undefined) ?? null;
}

export async function updateRequestFields(trx: Knex.Transaction, requestId: number, fields: Row, now: Date): Promise<void> {
  await trx("reset_requests").where({ id: requestId }).update({ ...fields, updated_at: now });
}

export interface Callback {
  id: number;
  contactId: number;
  contactName: string;
  phoneDialled: string;
  agentId: number;
  agentUsername: string;
  outcome: CallbackOutcome;
  notes: string | null;
  createdAt: Date;
}

export async function insertCallback(
  trx: Knex.Transaction,
  c: { requestId: number; contactId: number; contactName: string; phoneDialled: string; agentId: number; outcome: CallbackOutcome; notes: string | null },
  now: Date,
): Promise<number> {
  return insertReturningId(trx, "callbacks", {
    reset_request_id: c.requestId,
    contact_id: c.contactId,
    contact_name: c.contactName,
    phone_dialled: c.phoneDialled,
    agent_id: c.agentId,
    outcome: c.outcome,
    notes: c.notes,
    created_at: now,
  });
}

const callbacksWithAgent = (db: Conn) => db("callbacks").join("users", "users.id", "callbacks.agent_id").orderBy("callbacks.id").select("callbacks.*", "users.username as agent_username");

const toCallback = (r: Row): Callback => ({
  id: Number(r.id),
  contactId: Number(r.contact_id),
  contactName: r.contact_name as string,
  phoneDialled: r.phone_dialled as string,
  agentId: Number(r.agent_id),
  agentUsername: r.agent_username as string,
  outcome: r.outcome as CallbackOutcome,
  notes: (r.notes as string | null) ?? null,
  createdAt: asDate(r.created_at)!,
});

export async function listCallbacks(db: Conn, requestId: number): Promise<Callback[]> {
  const rows: unknown = await callbacksWithAgent(db).where({ reset_request_id: requestId });
  return (rows as Row[]).map(toCallback);
}

/** The callbacks of several requests in one query, by request id (for the queue's rows). */
export async function callbacksOfRequests(db: Conn, requestIds: number[]): Promise<Map<number, Callback[]>> {
  const byRequest = new Map<number, Callback[]>(requestIds.map((id) => [id, []]));
  if (requestIds.length === 0) return byRequest;
  const rows: unknown = await callbacksWithAgent(db).whereIn("reset_request_id", requestIds);
  for (const r of rows as Row[]) byRequest.get(Number(r.reset_request_id))?.push(toCallback(r));
  return byRequest;
}

/** A new single-use objection link's token for one recipient; only its hash is stored. */
export async function insertObjectionToken(trx: Knex.Transaction, requestId: number, recipient: string, now: Date): Promise<string> {
  const token = newToken();
  await trx("objection_tokens").insert({ reset_request_id: requestId, recipient, token_hash: hashToken(token), created_at: now });
  return token;
}

export interface ObjectionToken {
  id: number;
  requestId: number;
  recipient: string;
  usedAt: Date | null;
}

export async function findObjectionToken(db: Conn, token: string): Promise<ObjectionToken | null> {
  const row = (await db("objection_tokens").where({ token_hash: hashToken(token) }).first()) as Row | undefined;
  return row ? { id: Number(row.id), requestId: Number(row.reset_request_id), recipient: row.recipient as string, usedAt: asDate(row.used_at) } : null;
}

export async function spendObjectionToken(trx: Knex.Transaction, tokenId: number, now: Date): Promise<boolean> {
  return (await trx("objection_tokens").where({ id: tokenId }).whereNull("used_at").update({ used_at: now })) === 1;
}
