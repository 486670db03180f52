import { createHash } from "node:crypto";
import type { Clock } from "../../shared/clock.js";
import { asDate, isPostgres, type Db } from "../../shared/db.js";
import type { Knex } from "knex";
import { auditedBy, type Actor } from "../../shared/actor.js";
import type { AuditEntry } from "../../shared/audit-entry.js";

export type { AuditEntry };

interface AuditRow {
  seq: number;
  at: Date;
  actor_id: number | null;
  actor: string | null;
  ip: string | null;
  action: string;
  subject: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

export const GENESIS_HASH = "0".repeat(64);
// Any constant works; it names the one lock that serialises appends on PostgreSQL.
const AUDIT_LOCK_KEY = 72_410_001;

/** The hash of one row: its position, content and the previous hash, in a fixed field order. */
export function rowHash(row: Omit<AuditRow, "hash">): string {
  const canonical = JSON.stringify([
    row.seq,
    row.at.toISOString(),
    row.actor_id,
    row.actor,
    row.ip,
    row.action,
    row.subject,
    row.details,
    row.prev_hash,
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}

/**
 * Appends one entry to the chain. Pass the caller's transaction so the entry exists
 * exactly when the change it records does; without one, a transaction is opened here.
 */
export async function appendAudit(dbOrTrx: Db | Knex.Transaction, entry: AuditEntry, at: Date = new Date()): Promise<void> {
  const write = async (trx: Knex.Transaction) => {
    // Appends must see the latest head: PostgreSQL takes a transaction-scoped lock;
    // SQLite runs on one connection, so transactions are already serial.
    if (isPostgres(trx)) await trx.raw("SELECT pg_advisory_xact_lock(?)", [AUDIT_LOCK_KEY]);
    const head = (await trx("audit_log").select("seq", "hash").orderBy("seq", "desc").first()) as
      | { seq: number; hash: string }
      | undefined;
    const row = {
      seq: (head?.seq ?? 0) + 1,
      at,
      actor_id: entry.actorId ?? null,
      actor: entry.actor ?? null,
      ip: entry.ip ?? null,
      action: entry.action,
      subject: entry.subject ?? null,
      details: JSON.stringify(entry.details ?? {}),
      prev_hash: head?.hash ?? GENESIS_HASH,
    };
    await trx("audit_log").insert({ ...row, hash: rowHash(row) });
  };
  if ("isTransaction" in dbOrTrx && dbOrTrx.isTransaction) return write(dbOrTrx as Knex.Transaction);
  return (dbOrTrx as Db).transaction(write);
}

export type ChainCheck = { ok: true; rows: number } | { ok: false; rows: number; badSeq: number; problem: string };

/** Walks the chain from the first row and names the first row that does not fit. */
export async function verifyAuditChain(db: Db): Promise<ChainCheck> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let rows = 0;
  const batch = 1000;
  for (;;) {
    const page = (await db("audit_log").where("seq", ">=", expectedSeq).orderBy("seq").limit(batch)) as AuditRow[];
    for (const raw of page) {
      const row = { ...raw, at: asDate(raw.at)! };
      if (row.seq !== expectedSeq) {
        return { ok: false, rows, badSeq: expectedSeq, problem: `row ${expectedSeq} is missing` };
      }
      if (row.prev_hash !== prevHash) {
        return { ok: false, rows, badSeq: row.seq, problem: `row ${row.seq} does not follow row ${row.seq - 1}` };
      }
      if (rowHash(row) !== row.hash) {
        return { ok: false, rows, badSeq: row.seq, problem: `row ${row.seq} was altered` };
      }
      prevHash = row.hash;
      expectedSeq += 1;
      rows += 1;
    }
    if (page.length < batch) return { ok: true, rows };
  }
}

/** An admin's check of the whole chain now, audited with its outcome (after it ran, so the check does not count itself). */
export async function checkAuditChain(deps: { db: Db; clock: Clock }, actor: Actor): Promise<ChainCheck> {
  const check = await verifyAuditChain(deps.db);
  await appendAudit(deps.db, { ...auditedBy(actor), action: "audit.verified", details: check }, deps.clock.now());
  return check;
}
