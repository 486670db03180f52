import type { Knex } from "knex";
import { auditedBy, type Actor } from "../shared/actor.js";
import type { Clock } from "../shared/clock.js";
import type { Db } from "../shared/db.js";
import { done, refused, type Problems, type Result } from "../shared/problems.js";
import { appendAudit } from "../platform/audit/audit-log.js";
import { clockAtOpening, type SlaTargets, type TicketClock } from "./sla-clock.js";
import { findSlaTarget, loadSlaTargets, saveSlaTargets } from "./sla-store.js";
import type { NewTicket } from "./tickets-store.js";
import { TICKET_PRIORITIES } from "./vocabulary.js";

/** The longest target the desk takes: a year. */
export const SLA_MAX_MINUTES = 365 * 24 * 60;

/** The clocks of a ticket about to be opened, with the targets of its priority now. */
export async function startClock(trx: Knex.Transaction, ticket: Pick<NewTicket, "type" | "priority">, now: Date): Promise<TicketClock> {
  return clockAtOpening(ticket.type, await findSlaTarget(trx, ticket.priority ?? "normal"), now);
}

/** The first response must come before the resolution: a target longer than its resolution is a problem on its field. */
function targetProblems(targets: SlaTargets): Problems {
  const problems: Problems = {};
  for (const p of TICKET_PRIORITIES) {
    const t = targets[p];
    for (const [field, minutes] of [[`${p}_first_response`, t.firstResponseMinutes], [`${p}_resolution`, t.resolutionMinutes]] as const) {
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > SLA_MAX_MINUTES) problems[field] = "Give a time from 1 min to 365 d.";
    }
    if (!problems[`${p}_first_response`] && !problems[`${p}_resolution`] && t.firstResponseMinutes > t.resolutionMinutes) {
      problems[`${p}_first_response`] = `The first response of a ${p} ticket cannot be due after its resolution; shorten it or lengthen the resolution target.`;
    }
  }
  return problems;
}

/**
 * An admin sets the targets of every priority, audited in the same transaction (the priorities
 * that changed, from and to; a save that changes nothing writes nothing). They apply to
 * tickets opened from now on and to any ticket whose priority changes; the due times of the
 * others stay as they were promised.
 */
export async function changeSlaTargets(deps: { db: Db; clock: Clock }, actor: Actor, targets: SlaTargets): Promise<Result<{ changed: number }>> {
  const problems = targetProblems(targets);
  if (Object.keys(problems).length > 0) return refused(problems);
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    const before = await loadSlaTargets(trx);
    const changed = TICKET_PRIORITIES.filter((p) => before[p].firstResponseMinutes !== targets[p].firstResponseMinutes || before[p].resolutionMinutes !== targets[p].resolutionMinutes);
    if (changed.length === 0) return done({ changed: 0 });
    await saveSlaTargets(trx, targets, now);
    const details = Object.fromEntries(changed.map((p) => [p, { from: before[p], to: targets[p] }]));
    await appendAudit(trx, { ...auditedBy(actor), action: "sla.targets_changed", subject: "sla", details }, now);
    return done({ changed: changed.length });
  });
}
