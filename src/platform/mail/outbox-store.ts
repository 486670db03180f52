import type { Knex } from "knex";
import { asDate, isPostgres, type Db } from "../../shared/db.js";
import type { ComposedMail } from "./compose.js";

export type OutboxStatus = "queued" | "sending" | "sent" | "failed" | "dead" | "cancelled";
export const OUTBOX_STATUSES: readonly OutboxStatus[] = ["queued", "sending", "sent", "failed", "dead", "cancelled"];

export interface OutboxMail {
  id: number;
  recipient: string;
  subject: string;
  template: string;
  message: string;
  encrypted: boolean;
  sealed: boolean;
  messageId: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lockedUntil: Date | null;
  lockedBy: string | null;
  /** When the worker holding the mail handed it to the server; null until then and once recorded. */
  attemptStartedAt: Date | null;
  lastError: string | null;
  ticketId: number | null;
  createdAt: Date;
  sentAt: Date | null;
  /**
   * Set once a mail carrying a secret has been sent: the SHA-256 (hex) of the message (CRLF line ends) as handed
   * to the server. `message` then holds only its headers; the message itself was not kept.
   */
  sentSha256: string | null;
}

/** Mail that carries a secret: encrypted to its recipient, or sealed to the desk while it waits. */
export const carriesSecret = (mail: Pick<OutboxMail, "encrypted" | "sealed">): boolean => mail.encrypted || mail.sealed;

/** The header block of an RFC 5322 message: everything before the first empty line. */
export const headerBlockOf = (raw: string): string => raw.split(/\r?\n\r?\n/, 1)[0] ?? "";

export interface DeliveryAttempt {
  attempt: number;
  worker: string;
  startedAt: Date;
  finishedAt: Date;
  /**
   * `interrupted`: the worker's lease ran out after it handed the mail to the server, result
   * unknown. `sent-late`: the server accepted it only after that worker had lost the mail to another.
   */
  outcome: "sent" | "failed" | "interrupted" | "sent-late";
  detail: string | null;
}

type Row = Record<string, unknown>;

const toMail = (r: Row): OutboxMail => ({
  id: Number(r.id),
  recipient: r.recipient as string,
  subject: r.subject as string,
  template: r.template as string,
  message: r.message as string,
  encrypted: Boolean(r.encrypted),
  sealed: Boolean(r.sealed),
  messageId: r.message_id as string,
  status: r.status as OutboxStatus,
  attempts: Number(r.attempts),
  nextAttemptAt: asDate(r.next_attempt_at),
  lockedUntil: asDate(r.locked_until),
  lockedBy: (r.locked_by as string | null | undefined) ?? null,
  attemptStartedAt: asDate(r.attempt_started_at),
  lastError: (r.last_error as string | null) ?? null,
  ticketId: r.ticket_id === null || r.ticket_id === undefined ? null : Number(r.ticket_id),
  createdAt: asDate(r.created_at)!,
  sentAt: asDate(r.sent_at),
  sentSha256: (r.sent_sha256 as string | null | undefined) ?? null,
});

/**
 * Puts a composed mail in the outbox inside the caller's transaction: the mail exists
 * if and only if the change that caused it commits.
 */
export async function enqueue(trx: Knex.Transaction | Db, mail: ComposedMail, now: Date): Promise<number> {
  const inserted: unknown = await trx("outbox")
    .insert({
      recipient: mail.to,
      subject: mail.subject,
      template: mail.template,
      message: mail.raw,
      encrypted: mail.encrypted,
      sealed: mail.sealed,
      message_id: mail.messageId,
      status: "queued",
      attempts: 0,
      next_attempt_at: now,
      ticket_id: mail.ticketId,
      created_at: now,
      updated_at: now,
    })
    .returning("id");
  return (inserted as { id: number }[])[0]!.id;
}

/**
 * Claims a batch of up to `limit` due mails for one worker: queued or failed ones whose time
 * has come, and ones a worker claimed but never handed to the server before its lease ran out
 * (those it did hand over go through {@link findInterrupted} first). PostgreSQL skips rows
 * another worker is claiming (FOR UPDATE SKIP LOCKED), so workers share the queue; SQLite has
 * one writer, so the UPDATE is atomic.
 */
export async function claimDue(db: Db, worker: string, now: Date, leaseUntil: Date, limit: number): Promise<OutboxMail[]> {
  const lock = isPostgres(db) ? "FOR UPDATE SKIP LOCKED" : "";
  const result: unknown = await db.raw(
    `UPDATE outbox SET status = 'sending', locked_by = ?, locked_until = ?, updated_at = ?
     WHERE id IN (
       SELECT id FROM outbox
       WHERE (status IN ('queued', 'failed') AND next_attempt_at <= ?)
          OR (status = 'sending' AND locked_until < ? AND attempt_started_at IS NULL)
       ORDER BY next_attempt_at, id
       LIMIT ? ${lock}
     )
     RETURNING *`,
    [worker, leaseUntil, now, now, now, limit],
  );
  const rows = (Array.isArray(result) ? result : (result as { rows: Row[] }).rows) as Row[];
  return rows.map(toMail).sort((a, b) => a.id - b.id);
}

/**
 * Extends this worker's claim on the mails of one round just before they are handed to the
 * server, and notes that hand-over, in one statement. Returns the ids it extended: a mail whose
 * lease already ran out is left out, as another worker may have taken it over, and is not sent.
 */
export async function renewLeases(db: Db, worker: string, ids: number[], now: Date, leaseUntil: Date): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows: unknown = await db("outbox")
    .whereIn("id", ids)
    .andWhere({ status: "sending", locked_by: worker })
    .andWhere("locked_until", ">=", now)
    .update({ locked_until: leaseUntil, attempt_started_at: now, updated_at: now }, ["id"]);
  return (rows as { id: number | string }[]).map((r) => Number(r.id));
}

/** {@link renewLeases} for one mail: false when its lease already ran out. */
export async function renewLease(db: Db, worker: string, id: number, now: Date, leaseUntil: Date): Promise<boolean> {
  return (await renewLeases(db, worker, [id], now, leaseUntil)).length > 0;
}

/** The heartbeat of a batch: extends the live leases this worker still holds among `ids`, and says how many. */
export async function extendLeases(db: Db, worker: string, ids: number[], now: Date, leaseUntil: Date): Promise<number> {
  return db("outbox")
    .whereIn("id", ids)
    .andWhere({ status: "sending", locked_by: worker })
    .andWhere("locked_until", ">=", now)
    .update({ locked_until: leaseUntil });
}

/** Mails whose worker's lease ran out after it handed them to the server: the server may have them. */
export async function findInterrupted(db: Db, now: Date, limit: number): Promise<OutboxMail[]> {
  const rows: unknown = await db("outbox").where({ status: "sending" }).whereNotNull("attempt_started_at").andWhere("locked_until", "<", now).orderBy("id").limit(limit);
  return (rows as Row[]).map(toMail);
}

/** What the outbox keeps of a sent mail that carried a secret, in place of the message. */
export interface SentRecord {
  headers: string;
  sha256: string;
}

/** What an attempt leaves the mail as; with `kept`, a sent mail's message is replaced, in the same update, by its headers and digest. */
export interface AttemptResult {
  status: "sent" | "failed" | "dead" | "queued";
  nextAttemptAt: Date | null;
  lastError: string | null;
  kept?: SentRecord;
}

/**
 * Records one attempt's result, only if `attempt.worker` still holds the mail; with
 * `leaseExpiredBefore`, only if that worker's lease ran out before then (another worker
 * recording the interrupted attempt of one that died).
 */
export async function recordAttempt(db: Db, mail: OutboxMail, attempt: DeliveryAttempt, next: AttemptResult, leaseExpiredBefore?: Date): Promise<boolean> {
  return db.transaction((trx) => recordIn(trx, mail, attempt, next, leaseExpiredBefore));
}

/**
 * Records the attempts of one round of sends in one transaction (one commit for several mails),
 * each only if its worker still holds the mail; says, in order, which were recorded.
 */
export async function recordAttempts(db: Db, results: { mail: OutboxMail; attempt: DeliveryAttempt; next: AttemptResult }[]): Promise<boolean[]> {
  if (results.length === 0) return [];
  return db.transaction(async (trx) => {
    const recorded: boolean[] = [];
    for (const r of results) recorded.push(await recordIn(trx, r.mail, r.attempt, r.next));
    return recorded;
  });
}

async function recordIn(trx: Knex.Transaction, mail: OutboxMail, attempt: DeliveryAttempt, next: AttemptResult, leaseExpiredBefore?: Date): Promise<boolean> {
  const row = trx("outbox").where({ id: mail.id, status: "sending", locked_by: attempt.worker });
  if (leaseExpiredBefore) row.andWhere("locked_until", "<", leaseExpiredBefore);
  const updated = await row.update({
    status: next.status,
    attempts: attempt.attempt,
    next_attempt_at: next.nextAttemptAt,
    last_error: next.lastError,
    locked_by: null,
    locked_until: null,
    attempt_started_at: null,
    sent_at: next.status === "sent" ? attempt.finishedAt : null,
    updated_at: attempt.finishedAt,
    ...(next.kept ? { message: next.kept.headers, sent_sha256: next.kept.sha256 } : {}),
  });
  if (updated === 0) return false;
  await insertAttempt(trx, mail.id, attempt);
  return true;
}

/**
 * Records, for the log's sake only, an attempt whose worker no longer held the mail when it
 * ended: the mail's row belongs to the worker that took it over.
 */
export async function recordLostAttempt(db: Db, mailId: number, attempt: DeliveryAttempt): Promise<void> {
  await insertAttempt(db, mailId, attempt);
}

async function insertAttempt(db: Knex.Transaction | Db, mailId: number, attempt: DeliveryAttempt): Promise<void> {
  await db("outbox_attempts").insert({
    outbox_id: mailId,
    attempt: attempt.attempt,
    worker: attempt.worker,
    started_at: attempt.startedAt,
    finished_at: attempt.finishedAt,
    outcome: attempt.outcome,
    detail: attempt.detail,
  });
}

/** Hands mail this worker claimed but did not try back to the queue (clean shutdown). */
export async function releaseClaims(db: Db, worker: string, ids: number[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await db("outbox")
    .whereIn("id", ids)
    .andWhere({ status: "sending", locked_by: worker })
    .update({ status: "queued", locked_by: null, locked_until: null, updated_at: now });
}

/**
 * Narrows a query to mail not yet handed to the server: queued, waiting to retry, failed for
 * good, or claimed in a worker's batch but not yet tried (renewLease, which marks the hand-over,
 * then finds it no longer `sending` and the worker skips it).
 */
export function whereNotHandedOver(query: Knex.QueryBuilder): Knex.QueryBuilder {
  return query.where((q) => q.whereIn("status", ["queued", "failed", "dead"]).orWhere((claimed) => claimed.where("status", "sending").whereNull("attempt_started_at")));
}

/**
 * Stops a mail that has not gone out yet for good: it is never sent nor retried, not even by an
 * admin's Retry. False when it is being handed to the server or already sent.
 */
export async function cancelUnsent(trx: Knex.Transaction, id: number, reason: string, now: Date): Promise<boolean> {
  const updated = await whereNotHandedOver(trx("outbox").where({ id })).update(cancelled(reason, now));
  return updated > 0;
}

/** The fields of a mail stopped for good; its claim, if a worker held one, goes with it. */
export const cancelled = (reason: string, now: Date) => ({ status: "cancelled", next_attempt_at: null, locked_by: null, locked_until: null, last_error: reason, updated_at: now });

/** Queues a failed or dead mail again, with a fresh run of attempts. */
export async function requeue(trx: Knex.Transaction, id: number, now: Date): Promise<boolean> {
  const updated = await trx("outbox")
    .where({ id })
    .whereIn("status", ["failed", "dead"])
    .update({ status: "queued", attempts: 0, next_attempt_at: now, last_error: null, updated_at: now });
  return updated > 0;
}

/**
 * Mail waiting out its back-off after a failed attempt is due at once: after the mail settings
 * change, the next delivery tries it with them. Mail refused for good or dead still waits for Retry.
 */
export async function makeRetriesDue(db: Db, now: Date): Promise<number> {
  return db("outbox").where({ status: "failed" }).whereNotNull("next_attempt_at").where("next_attempt_at", ">", now).update({ next_attempt_at: now, updated_at: now });
}

export async function findMail(db: Db, id: number): Promise<OutboxMail | null> {
  const row: unknown = await db("outbox").where({ id }).first();
  return row ? toMail(row as Row) : null;
}

export async function listAttempts(db: Db, outboxId: number): Promise<DeliveryAttempt[]> {
  const rows: unknown = await db("outbox_attempts").where({ outbox_id: outboxId }).orderBy("id");
  return (rows as Row[]).map((r) => ({
    attempt: Number(r.attempt),
    worker: r.worker as string,
    startedAt: asDate(r.started_at)!,
    finishedAt: asDate(r.finished_at)!,
    outcome: r.outcome as DeliveryAttempt["outcome"],
    detail: (r.detail as string | null) ?? null,
  }));
}

export interface MailLogFilter {
  status?: OutboxStatus;
  recipient?: string;
  /** Keyset cursor: mails with a smaller id than this (newest first). */
  before?: number;
}

/** The mail log: newest first, one page and whether there is another. */
export async function listMail(db: Db, filter: MailLogFilter, pageSize: number): Promise<{ mails: OutboxMail[]; nextBefore: number | null }> {
  const query = db("outbox")
    .select("id", "recipient", "subject", "template", "encrypted", "sealed", "message_id", "status", "attempts", "next_attempt_at", "locked_until", "last_error", "ticket_id", "created_at", "sent_at", "sent_sha256")
    .orderBy("id", "desc")
    .limit(pageSize + 1);
  if (filter.status) query.where("status", filter.status);
  if (filter.recipient) query.whereRaw("lower(recipient) like ? escape '\\'", [`%${filter.recipient.toLowerCase().replace(/[%_\\]/g, "\\$&")}%`]);
  if (filter.before) query.where("id", "<", filter.before);
  const rows = (await query) as Row[];
  const mails = rows.slice(0, pageSize).map((r) => toMail({ ...r, message: "" }));
  return { mails, nextBefore: rows.length > pageSize ? mails[mails.length - 1]!.id : null };
}

export async function countByStatus(db: Db): Promise<Record<OutboxStatus, number>> {
  const rows: unknown = await db("outbox").select("status").count({ n: "*" }).groupBy("status");
  const counts = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
  for (const r of rows as { status: OutboxStatus; n: number | string }[]) counts[r.status] = Number(r.n);
  return counts;
}

/** When the oldest mail still to be sent was queued: status queued, or failed and waiting for its retry. */
export async function oldestWaitingMailAt(db: Db): Promise<Date | null> {
  const row = (await db("outbox").whereIn("status", ["queued", "failed"]).min({ oldest: "created_at" }).first()) as { oldest: unknown } | undefined;
  return asDate(row?.oldest);
}

/**
 * A bounce (DSN) came back for the mails with these Message-IDs: each sent or sending one is marked failed for
 * good (no further attempt), with the DSN's reason as its last error in the mail log. Returns the rows marked.
 */
export async function markBounced(db: Db, messageIds: string[], reason: string, now: Date): Promise<number[]> {
  if (messageIds.length === 0) return [];
  const rows: { id: number | string }[] = await db("outbox").whereIn("message_id", messageIds).select("id");
  const ids = rows.map((r) => Number(r.id));
  if (ids.length === 0) return [];
  await db("outbox")
    .whereIn("id", ids)
    .update({ status: "failed", next_attempt_at: null, locked_by: null, locked_until: null, last_error: `Bounced: ${reason}`, updated_at: now });
  return ids;
}
