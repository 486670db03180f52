import { createHash } from "node:crypto";
import { asDate, isPostgres, type Db } from "../../../shared/db.js";

export type InboundVia = "smtp" | "imap";
export type InboundStatus = "received" | "routed" | "quarantined" | "auto-replied" | "ignored" | "bounce" | "discarded" | "failed";

/** What the receiver knows of a message before it is parsed: the SMTP envelope, or the IMAP mailbox. */
export interface ReceiptMeta {
  via: InboundVia;
  envelopeFrom: string | null;
  envelopeTo: string[];
  remoteIp: string | null;
  helo: string | null;
}

export interface InboundRecord extends ReceiptMeta {
  id: number;
  receivedAt: Date;
  dedupKey: string;
  raw: Buffer;
  fromAddress: string | null;
  subject: string | null;
  status: InboundStatus;
  authResults: Record<string, string> | null;
  outcome: string | null;
  ticketId: number | null;
  attempts: number;
  lastError: string | null;
  processedAt: Date | null;
  /** The admin who released it from the quarantine, to be routed despite failing authentication. */
  releasedBy: number | null;
}

type Row = Record<string, unknown>;

/**
 * The key a message is stored once under: its Message-ID without angle brackets, lower-cased, or the
 * SHA-256 of its bytes when it has none (a message without one is still stored once per identical copy).
 */
export function dedupKeyOf(raw: Buffer): string {
  const headers = raw.toString("latin1").split(/\r?\n\r?\n/, 1)[0] ?? "";
  const unfolded = headers.replace(/\r?\n[ \t]+/g, " ");
  const match = /^message-id:\s*<?([^<>\s]+)>?/im.exec(unfolded);
  if (match) return match[1]!.toLowerCase();
  return `sha256:${createHash("sha256").update(raw).digest("hex")}`;
}

/**
 * Stores a message as received (committed when this resolves). A message already stored under the same key
 * is not stored again: `duplicate` says so, and the receiver answers 250 all the same.
 */
export async function storeReceived(db: Db, raw: Buffer, meta: ReceiptMeta, now: Date): Promise<{ id: number; duplicate: boolean }> {
  const dedupKey = dedupKeyOf(raw);
  const inserted: { id: number }[] = await db("inbound_messages")
    .insert({
      received_at: now,
      via: meta.via,
      dedup_key: dedupKey,
      envelope_from: meta.envelopeFrom,
      envelope_to: JSON.stringify(meta.envelopeTo),
      remote_ip: meta.remoteIp,
      helo: meta.helo,
      raw,
      status: "received",
    })
    .onConflict("dedup_key")
    .ignore()
    .returning("id");
  if (inserted[0]) return { id: inserted[0].id, duplicate: false };
  const existing: { id: number } | undefined = await db("inbound_messages").where({ dedup_key: dedupKey }).first("id");
  return { id: existing!.id, duplicate: true };
}

/**
 * Claims received messages for one worker until `leaseUntil`: new ones, and ones whose worker's lease ran
 * out (it died mid-way; the message is processed again from the start). PostgreSQL skips rows another
 * worker is claiming; SQLite has one writer.
 */
export async function claimReceived(db: Db, worker: string, now: Date, leaseUntil: Date, limit: number): Promise<InboundRecord[]> {
  const lock = isPostgres(db) ? "FOR UPDATE SKIP LOCKED" : "";
  const result: unknown = await db.raw(
    `UPDATE inbound_messages SET locked_by = ?, locked_until = ?, attempts = attempts + 1
     WHERE id IN (
       SELECT id FROM inbound_messages
       WHERE status = 'received' AND (locked_until IS NULL OR locked_until < ?)
       ORDER BY received_at, id
       LIMIT ? ${lock}
     )
     RETURNING *`,
    [worker, leaseUntil, now, limit],
  );
  const rows = (Array.isArray(result) ? result : (result as { rows: Row[] }).rows) as Row[];
  return rows.map(toRecord).sort((a, b) => a.id - b.id);
}

export interface ProcessedRecord {
  status: InboundStatus;
  fromAddress: string | null;
  subject: string | null;
  authResults: Record<string, string> | null;
  outcome: string;
  ticketId: number | null;
  lastError?: string | null;
  autoRepliedAt?: Date | null;
}

/** Records where a claimed message went and lets go of it; false when this worker no longer held it. */
export async function recordProcessed(db: Db, worker: string, id: number, done: ProcessedRecord, now: Date): Promise<boolean> {
  const updated = await db("inbound_messages")
    .where({ id, status: "received", locked_by: worker })
    .update({
      status: done.status,
      from_address: done.fromAddress,
      subject: done.subject,
      auth_results: done.authResults ? JSON.stringify(done.authResults) : null,
      outcome: done.outcome,
      ticket_id: done.ticketId,
      last_error: done.lastError ?? null,
      auto_replied_at: done.autoRepliedAt ?? null,
      processed_at: now,
      locked_by: null,
      locked_until: null,
    });
  return updated === 1;
}

/** Whether the desk auto-replied to this sender since `since` (at most one auto-reply per sender per hour). */
export async function autoRepliedSince(db: Db, sender: string, since: Date): Promise<boolean> {
  const row: unknown = await db("inbound_messages").where({ from_address: sender }).where("auto_replied_at", ">=", since).first("id");
  return row !== undefined;
}

export async function findInbound(db: Db, id: number): Promise<InboundRecord | null> {
  const row = (await db("inbound_messages").where({ id }).first()) as Row | undefined;
  return row ? toRecord(row) : null;
}

/** The newest inbound messages for the mail log, of one status when given. */
export async function listInbound(db: Db, limit: number, status?: InboundStatus): Promise<InboundRecord[]> {
  const newest = db("inbound_messages").orderBy("id", "desc").limit(limit);
  const rows = (await (status ? newest.where({ status }) : newest)) as Row[];
  return rows.map(toRecord);
}

function toRecord(row: Row): InboundRecord {
  return {
    id: Number(row.id),
    receivedAt: asDate(row.received_at)!,
    via: row.via as InboundVia,
    dedupKey: row.dedup_key as string,
    envelopeFrom: (row.envelope_from as string | null) ?? null,
    envelopeTo: JSON.parse(row.envelope_to as string) as string[],
    remoteIp: (row.remote_ip as string | null) ?? null,
    helo: (row.helo as string | null) ?? null,
    raw: Buffer.from(row.raw as Uint8Array),
    fromAddress: (row.from_address as string | null) ?? null,
    subject: (row.subject as string | null) ?? null,
    status: row.status as InboundStatus,
    authResults: row.auth_results ? (JSON.parse(row.auth_results as string) as Record<string, string>) : null,
    outcome: (row.outcome as string | null) ?? null,
    ticketId: row.ticket_id === null || row.ticket_id === undefined ? null : Number(row.ticket_id),
    attempts: Number(row.attempts),
    lastError: (row.last_error as string | null) ?? null,
    processedAt: asDate(row.processed_at),
    releasedBy: row.released_by === null || row.released_by === undefined ? null : Number(row.released_by),
  };
}

/**
 * An admin's decision on a quarantined message: released, it goes back to 'received' for the pipeline to
 * route as that admin vouches; discarded, it stays for the log and goes nowhere. False when it was not
 * (or no longer) in the quarantine.
 */
export async function decideQuarantined(db: Db, id: number, decision: "release" | "discard", adminId: number, now: Date): Promise<boolean> {
  const change =
    decision === "release"
      ? { status: "received", released_by: adminId, released_at: now, attempts: 0, locked_by: null, locked_until: null, processed_at: null }
      : { status: "discarded", outcome: "Discarded by an admin", processed_at: now };
  return (await db("inbound_messages").where({ id, status: "quarantined" }).update(change)) === 1;
}
