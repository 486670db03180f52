import { asDate, type Db } from "../../shared/db.js";

export interface AuditFilter {
  /** An action's exact name, or a family ending in a dot ("reset."). */
  action?: string;
  /** The acting login's username, any case. */
  actor?: string;
  /** What it was done to, exactly: "ticket:12", "user:5". */
  subject?: string;
  /** Only entries older than this one (the page cursor). */
  before?: number;
  /** Only entries at or after this moment, and before that one: a range of days. */
  from?: Date;
  until?: Date;
}

export interface AuditEntryRow {
  seq: number;
  at: Date;
  actor: string | null;
  ip: string | null;
  action: string;
  subject: string | null;
  details: string;
}

/** One page of the log, newest first, keyset by seq; `nextBefore` is the next page's cursor. */
export async function listAudit(db: Db, filter: AuditFilter, pageSize: number): Promise<{ entries: AuditEntryRow[]; nextBefore: number | null }> {
  const query = db("audit_log").select("seq", "at", "actor", "ip", "action", "subject", "details").orderBy("seq", "desc").limit(pageSize + 1);
  if (filter.action?.endsWith(".")) query.whereRaw("substr(action, 1, ?) = ?", [filter.action.length, filter.action]);
  else if (filter.action) query.where({ action: filter.action });
  if (filter.actor) query.whereRaw("lower(actor) = ?", [filter.actor.toLowerCase()]);
  if (filter.subject) query.where({ subject: filter.subject });
  if (filter.before) query.where("seq", "<", filter.before);
  if (filter.from) query.where("at", ">=", filter.from);
  if (filter.until) query.where("at", "<", filter.until);
  const rows = (await query) as Record<string, unknown>[];
  const entries = rows.slice(0, pageSize).map((r) => ({
    seq: Number(r.seq),
    at: asDate(r.at)!,
    actor: (r.actor as string | null) ?? null,
    ip: (r.ip as string | null) ?? null,
    action: r.action as string,
    subject: (r.subject as string | null) ?? null,
    details: r.details as string,
  }));
  return { entries, nextBefore: rows.length > pageSize ? entries[entries.length - 1]!.seq : null };
}

/** The newest row of the chain: its seq and hash (null while the log is empty). */
export async function auditHead(db: Db): Promise<{ seq: number; hash: string } | null> {
  const row = (await db("audit_log").select("seq", "hash").orderBy("seq", "desc").first()) as { seq: number | string; hash: string } | undefined;
  return row ? { seq: Number(row.seq), hash: row.hash } : null;
}

/** The hash of row `seq`, or null when there is no such row. */
export async function auditRowHash(db: Db, seq: number): Promise<string | null> {
  const row = (await db("audit_log").where({ seq }).select("hash").first()) as { hash: string } | undefined;
  return row?.hash ?? null;
}
