/** The audit log read back in order, its details parsed. */
import type { Row } from "./rows.js";
import type { TestApp } from "./test-app.js";

export interface AuditRow {
  seq: number;
  action: string;
  actor: string | null;
  actorId: number | null;
  ip: string | null;
  subject: string | null;
  details: Record<string, unknown>;
}

/** Audit entries in order, optionally only those of one action. */
export async function auditRows(t: TestApp, action?: string): Promise<AuditRow[]> {
  const query = t.db("audit_log").orderBy("seq");
  if (action) query.where({ action });
  const rows = (await query) as Row[];
  return rows.map((r) => ({
    seq: Number(r.seq),
    action: r.action as string,
    actor: (r.actor as string | null) ?? null,
    actorId: r.actor_id === null ? null : Number(r.actor_id),
    ip: (r.ip as string | null) ?? null,
    subject: (r.subject as string | null) ?? null,
    details: JSON.parse(r.details as string) as Record<string, unknown>,
  }));
}

export const auditActions = async (t: TestApp) => (await auditRows(t)).map((r) => r.action);
