import { appendAudit } from "../platform/audit/audit-log.js";
import { auditedBy, type Actor } from "../shared/actor.js";
import type { Clock } from "../shared/clock.js";
import type { Db } from "../shared/db.js";

/** A login signs out: audited before its session ends (the web ends the session). */
export async function recordSignOut(deps: { db: Db; clock: Clock }, actor: Actor): Promise<void> {
  await appendAudit(deps.db, { ...auditedBy(actor), action: "sign_out", subject: `user:${actor.id}` }, deps.clock.now());
}
