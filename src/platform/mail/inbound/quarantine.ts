import { auditedBy, type Actor } from "../../../shared/actor.js";
import type { AppendAudit } from "../../../shared/audit-entry.js";
import type { Clock } from "../../../shared/clock.js";
import type { Db } from "../../../shared/db.js";
import { decideQuarantined, type InboundRecord } from "./inbound-store.js";

export interface QuarantineDeps {
  db: Db;
  clock: Clock;
  /** platform/audit's appender, handed in by the composition root. */
  audit: AppendAudit;
}

/**
 * An admin releases a quarantined message (the pipeline then routes it as if it had authenticated, the
 * router told who released it) or discards it; audited with what it was. False, nothing written, when
 * the message is not in the quarantine.
 */
export async function decideOnQuarantined(deps: QuarantineDeps, message: InboundRecord, decision: "release" | "discard", actor: Actor): Promise<boolean> {
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    if (!(await decideQuarantined(trx, message.id, decision, actor.id, now))) return false;
    const details = { from: message.fromAddress, subject: message.subject, reason: message.outcome };
    await deps.audit(trx, { ...auditedBy(actor), action: decision === "release" ? "mail.inbound_released" : "mail.inbound_discarded", subject: `inbound:${message.id}`, details }, now);
    return true;
  });
}
