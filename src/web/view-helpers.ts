/** Small formatting functions every view can call (registered as app.locals, or per request as res.locals). */
import type { RequestHandler, Response } from "express";
import { formatInZone, groupFingerprint, knownTimeZone } from "../shared/formatting.js";
import { isStaff } from "../shared/roles.js";
import { internationalPhone } from "../accounts/index.js";

/** "2026-11-23 19:40 GMT" on the given zone's clock, or an em dash for no date. */
const dateTimeIn = (zone: string) => (date: Date | null | undefined): string => (date ? formatInZone(date, zone) : "—");

/**
 * Once per request, the zone the viewer reads times in (their own from My profile, else the
 * desk's TIME_ZONE) and `formatDateTime` on its clock, so views format with it unchanged.
 * A stored zone Intl no longer knows falls back to the desk's rather than failing the page.
 */
export const exposeViewerTimeZone = (deskTimeZone: string): RequestHandler => (req, res, next) => {
  const zone = (req.user?.timeZone && knownTimeZone(req.user.timeZone)) || deskTimeZone;
  res.locals.timeZone = zone;
  res.locals.deskTimeZone = deskTimeZone;
  res.locals.formatDateTime = dateTimeIn(zone);
  next();
};

/** The viewer's `formatDateTime`, for words a route composes (a flash) rather than a view. */
export const viewerDateTime = (res: Response): ((date: Date | null | undefined) => string) => res.locals.formatDateTime as ReturnType<typeof dateTimeIn>;

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

export const viewHelpers = { formatInterval, groupFingerprint, internationalPhone, isStaff };
