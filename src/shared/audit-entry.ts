import type { Knex } from "knex";

/** One entry of the chained audit log, as its writer gives it (platform/audit adds the position and hashes). */
export interface AuditEntry {
  action: string;
  actorId?: number | null;
  actor?: string | null;
  ip?: string | null;
  subject?: string | null;
  /** Before/after values and context; never a secret. */
  details?: Record<string, unknown>;
}

/**
 * platform/audit's `appendAudit`, as a platform part that must audit gets it: mail and tasks
 * may not import audit (DESIGN §8), so the composition root hands the appender in.
 */
export type AppendAudit = (conn: Knex | Knex.Transaction, entry: AuditEntry, at: Date) => Promise<void>;
