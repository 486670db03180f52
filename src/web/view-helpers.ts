/** Small formatting functions every view can call (registered as app.locals). */
import { formatUtc, groupFingerprint } from "../shared/formatting.js";
import { isStaff } from "../shared/roles.js";
import { internationalPhone } from "../accounts/index.js";

/** "2026-11-23 19:40 UTC", or an em dash for no date. */
export const formatDateTime = (date: Date | null | undefined): string => (date ? formatUtc(date) : "—");

/** "5 seconds", "1 hour", "90 minutes": an interval in words. */
function formatInterval(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, "day"],
    [3_600_000, "hour"],
    [60_000, "minute"],
    [1000, "second"],
  ];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return `${n} ${name}${n === 1 ? "" : "s"}`;
    }
  }
  return `${ms} ms`;
}

export const viewHelpers = { formatDateTime, formatInterval, groupFingerprint, internationalPhone, isStaff };
