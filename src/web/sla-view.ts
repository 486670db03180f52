import { dueStanding, type DueClock, type SlaTargets } from "../tickets/index.js";

const MINUTE = 60_000;

/** "less than a minute", "35 min", "5 h 12 min", "3 d 4 h": a span short enough for a badge. */
export function spanWords(ms: number): string {
  const minutes = Math.floor(Math.abs(ms) / MINUTE);
  if (minutes < 1) return "less than a minute";
  if (minutes < 60) return `${minutes} min`;
  const [big, unit, rest, restUnit] = minutes < 48 * 60 ? [Math.floor(minutes / 60), "h", minutes % 60, "min"] : [Math.floor(minutes / 1440), "d", Math.floor((minutes % 1440) / 60), "h"];
  return rest === 0 ? `${big} ${unit}` : `${big} ${unit} ${rest} ${restUnit}`;
}

const CLOCK_WORDS: Record<DueClock, string> = { first_response: "First response", resolution: "Resolution", decision: "Decision" };

/** What a ticket's running due time shows: a badge (due soon, overdue) or quiet words, and a title with the time. */
export interface DueView {
  state: "overdue" | "soon" | "on_time";
  /** The badge's or the words' text: "overdue by 2 h", "due soon: 35 min", "due in 3 d". */
  text: string;
  /** "First response due 2026-12-04 10:00 UTC", on the viewer's clock. */
  title: string;
}

/** The SLA words the ticket views share, passed as the `sla` local: one targets read per page, never per row. */
export const slaView = (now: Date, targets: SlaTargets) => ({
  /** `formatDateTime` is the viewer's (a view's local): the title names the due time on their clock. */
  due(ticket: Parameters<typeof dueStanding>[0], formatDateTime: (date: Date) => string): DueView | null {
    const standing = dueStanding(ticket, targets, now);
    if (!standing) return null;
    const span = spanWords(standing.remainingMs);
    const text = standing.state === "overdue" ? `overdue by ${span}` : standing.state === "soon" ? `due soon: ${span}` : `due in ${span}`;
    return { state: standing.state, text, title: `${CLOCK_WORDS[standing.clock]} due ${formatDateTime(standing.dueAt)}` };
  },
  /** "expires in 5 h 12 min", or "expired" once the time has passed. */
  countdown: (at: Date) => (at.getTime() > now.getTime() ? `expires in ${spanWords(at.getTime() - now.getTime())}` : "expired"),
  span: spanWords,
});
