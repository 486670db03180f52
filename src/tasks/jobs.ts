import type { Clock } from "../clock.js";
import { hours, minutes, seconds } from "../clock.js";
import { anchorAuditHead } from "../audit/audit-anchor.js";
import type { Db } from "../db.js";
import { deliverDue, type DeliveryDeps } from "../mail/delivery.js";
import { expireTemporaryPasswords } from "../resets/redemption.js";
import type { TaskDefinition } from "./scheduler.js";

/** Every scheduled task of the desk; later features add theirs here. */
export function deskTasks(deps: DeliveryDeps & { db: Db; clock: Clock; auditAnchorFile: string }): TaskDefinition[] {
  return [
    {
      name: "deliver-mail",
      description: "Sends the mail that is due from the outbox, with retries and back-off.",
      everyMs: seconds(5),
      async run(shouldStop) {
        const r = await deliverDue(deps, shouldStop);
        return `${r.sent} sent, ${r.failed} failed, ${r.dead} dead`;
      },
    },
    {
      name: "expire-temporary-passwords",
      description: "Expires primary-reset temporary passwords not used in time, and closes their tickets.",
      everyMs: minutes(5),
      async run() {
        return `${await expireTemporaryPasswords(deps)} temporary passwords expired`;
      },
    },
    {
      name: "anchor-audit-head",
      description: "Writes the audit chain's newest row and hash, signed by the desk key, to a file outside the database and to the log, so audit-verify catches deleted newest rows.",
      everyMs: minutes(1),
      run: () => anchorAuditHead({ ...deps, file: deps.auditAnchorFile }),
    },
    {
      name: "purge-expired-sessions",
      description: "Deletes ended sessions and spent rate-limit counters.",
      everyMs: hours(1),
      async run() {
        const now = deps.clock.now();
        const sessions = await deps.db("sessions").where("expired", "<", now.toISOString()).delete();
        const counters = await deps.db("rate_limits").where("reset_at_ms", "<", now.getTime()).delete();
        return `${sessions} sessions and ${counters} rate-limit counters removed`;
      },
    },
  ];
}
