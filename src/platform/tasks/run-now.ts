import { auditedBy, type Actor } from "../../shared/actor.js";
import type { AppendAudit } from "../../shared/audit-entry.js";
import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import type { Scheduled, Scheduler } from "./scheduler.js";

/** What Run now needs; `audit` is platform/audit's appender (tasks do not know audit: the composition root hands it in). */
export interface RunNowDeps {
  db: Db;
  clock: Clock;
  scheduler: Scheduler;
  audit: AppendAudit;
}

/**
 * An admin's Run now: the request is audited, then the task made due at once; the next tick of a
 * worker runs it, never this call. Null, with nothing written, when there is no task of that name.
 */
export async function requestRunNow(deps: RunNowDeps, name: string, actor: Actor): Promise<Scheduled | null> {
  if (!deps.scheduler.has(name)) return null;
  await deps.audit(deps.db, { ...auditedBy(actor), action: "task.run_requested", subject: `task:${name}` }, deps.clock.now());
  return deps.scheduler.schedule(name);
}
