import type { Knex } from "knex";
import type { Db } from "../shared/db.js";
import type { SlaTarget, SlaTargets } from "./sla-clock.js";
import { TICKET_PRIORITIES, type TicketPriority } from "./vocabulary.js";

type Conn = Db | Knex.Transaction;
type Row = Record<string, unknown>;

/** The targets of every priority (the migration seeds a row for each). */
export async function loadSlaTargets(db: Conn): Promise<SlaTargets> {
  const rows: Row[] = await db("sla_targets").select("priority", "first_response_minutes", "resolution_minutes");
  const byPriority = new Map(rows.map((r) => [r.priority as TicketPriority, { firstResponseMinutes: Number(r.first_response_minutes), resolutionMinutes: Number(r.resolution_minutes) }]));
  return Object.fromEntries(
    TICKET_PRIORITIES.map((p) => {
      const target = byPriority.get(p);
      if (!target) throw new Error(`No SLA target for priority ${p}: the sla_targets table lost a row.`);
      return [p, target];
    }),
  ) as SlaTargets;
}

export async function findSlaTarget(db: Conn, priority: TicketPriority): Promise<SlaTarget> {
  return (await loadSlaTargets(db))[priority];
}

export async function saveSlaTargets(trx: Knex.Transaction, targets: SlaTargets, now: Date): Promise<void> {
  for (const priority of TICKET_PRIORITIES) {
    const t = targets[priority];
    await trx("sla_targets").where({ priority }).update({ first_response_minutes: t.firstResponseMinutes, resolution_minutes: t.resolutionMinutes, updated_at: now });
  }
}
