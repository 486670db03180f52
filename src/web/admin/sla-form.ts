import { z } from "zod";
import { TICKET_PRIORITIES, type SlaTargets } from "../../tickets/index.js";

// The SLA targets form: a time per priority and clock, typed as "90 min", "4 h" or "3 d".

const UNIT_MINUTES: Record<string, number> = { m: 1, min: 1, mins: 1, minute: 1, minutes: 1, h: 60, hour: 60, hours: 60, d: 1440, day: 1440, days: 1440 };
const TIME_PROBLEM = "Give a whole number and a unit: min, h or d, like 90 min, 4 h or 3 d.";

const time = z
  .string({ error: TIME_PROBLEM })
  .trim()
  .transform((v, ctx) => {
    const match = /^(\d{1,6})\s*([a-z]+)$/i.exec(v);
    const unit = match ? UNIT_MINUTES[match[2]!.toLowerCase()] : undefined;
    if (!match || unit === undefined) {
      ctx.addIssue({ code: "custom", message: TIME_PROBLEM });
      return z.NEVER;
    }
    return Number(match[1]) * unit;
  });

/** The form's field of a priority's clock: `urgent_first_response`, `urgent_resolution`, … */
export const slaField = (priority: string, clock: "first_response" | "resolution") => `${priority}_${clock}`;

export const slaForm = z
  .object(Object.fromEntries(TICKET_PRIORITIES.flatMap((p) => [[slaField(p, "first_response"), time], [slaField(p, "resolution"), time]])) as Record<string, typeof time>)
  .transform(
    (f): SlaTargets =>
      Object.fromEntries(TICKET_PRIORITIES.map((p) => [p, { firstResponseMinutes: f[slaField(p, "first_response")]!, resolutionMinutes: f[slaField(p, "resolution")]! }])) as SlaTargets,
  );

/** "90 min", "4 h", "3 d": a target as the form shows it, in the largest unit it fills whole. */
export function minutesWords(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440} d`;
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  return `${minutes} min`;
}

/** The form's values for these targets. */
export const slaValues = (targets: SlaTargets): Record<string, string> =>
  Object.fromEntries(
    TICKET_PRIORITIES.flatMap((p) => [
      [slaField(p, "first_response"), minutesWords(targets[p].firstResponseMinutes)],
      [slaField(p, "resolution"), minutesWords(targets[p].resolutionMinutes)],
    ]),
  );
