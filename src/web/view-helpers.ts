/** Small formatting functions every view can call (registered as app.locals). */

/** "2026-11-23 19:40 UTC", or an em dash for no date. */
export function formatDateTime(date: Date | null | undefined): string {
  if (!date) return "—";
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** "5 seconds", "1 hour", "90 minutes": an interval in words. */
export function formatInterval(ms: number): string {
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

/** An OpenPGP fingerprint in groups of four, as people read them aloud. */
export function groupFingerprint(fingerprint: string): string {
  return fingerprint.replace(/(.{4})(?=.)/g, "$1 ");
}

export const viewHelpers = { formatDateTime, formatInterval, groupFingerprint };
