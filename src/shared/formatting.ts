/** How the desk writes times and fingerprints for people, in pages, mail and messages alike. */

/** "2026-11-23 19:40 UTC": a time in UTC, for the words the domains compose once for everyone. */
export const formatUtc = (date: Date): string => formatInZone(date, "UTC");

/** "2026-11-23": the UTC day of a moment. */
export const formatUtcDay = (date: Date): string => date.toISOString().slice(0, 10);

/** The canonical name of an IANA time zone as Intl knows it ("europe/london" → "Europe/London"), or null for no zone. */
export function timeZoneName(name: string): string | null {
  try {
    return new Intl.DateTimeFormat("en-GB", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

const known = new Map<string, string | null>();

/** timeZoneName, remembered: for a zone read on every request (a person's stored choice). */
export function knownTimeZone(name: string): string | null {
  if (!known.has(name)) known.set(name, timeZoneName(name));
  return known.get(name)!;
}

/** The zones a person may pick, as Intl lists them, with UTC (which Intl leaves out of its list). */
export const pickableTimeZones = (): string[] => ["UTC", ...Intl.supportedValuesOf("timeZone").filter((z) => z !== "UTC")];

interface ZoneFormats {
  clock: Intl.DateTimeFormat;
  /** en-GB knows BST, CET, CEST; en-US knows EST, PDT: tried in turn for a name people read. */
  names: Intl.DateTimeFormat[];
}

// Building a DateTimeFormat is slow next to using one: one set per zone, kept for the process.
const formats = new Map<string, ZoneFormats>();

function formatsOf(zone: string): ZoneFormats {
  let found = formats.get(zone);
  if (!found) {
    const clock = new Intl.DateTimeFormat("en-GB", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    const names = ["en-GB", "en-US"].map((locale) => new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: "short" }));
    found = { clock, names };
    formats.set(zone, found);
  }
  return found;
}

/** "BST", "EST", "UTC", or the offset ("UTC+9", "UTC+5:30") where no abbreviation is in use. */
function zoneLabel(date: Date, zone: ZoneFormats): string {
  const labels = zone.names.map((f) => f.formatToParts(date).find((p) => p.type === "timeZoneName")?.value ?? "UTC");
  return labels.find((l) => !/^GMT[+-]/.test(l)) ?? labels[0]!.replace(/^GMT/, "UTC");
}

/**
 * "2026-11-23 20:40 CET": a moment on the clock of an IANA zone, always with the zone's
 * abbreviation or offset, so nobody has to guess which clock it is on.
 */
export function formatInZone(date: Date, zone: string): string {
  const key = `${zone} ${Math.floor(date.getTime() / 60_000)}`;
  let text = formatted.get(key);
  if (text === undefined) {
    const formats = formatsOf(zone);
    const part = Object.fromEntries(formats.clock.formatToParts(date).map((p) => [p.type, p.value]));
    text = `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute} ${zoneLabel(date, formats)}`;
    if (formatted.size >= MAX_FORMATTED) formatted.clear();
    formatted.set(key, text);
  }
  return text;
}

/**
 * The words of the minutes formatted lately, by zone and minute: a page shows the same moments on
 * every load (the queue's rows, a ticket's events), and three formatToParts per moment were a
 * tenth of the queue page's CPU. Bounded: emptied when full.
 */
const formatted = new Map<string, string>();
const MAX_FORMATTED = 20_000;

/** An OpenPGP fingerprint in groups of four, as people read them aloud. */
export const groupFingerprint = (fingerprint: string): string => fingerprint.replace(/(.{4})(?=.)/g, "$1 ");
