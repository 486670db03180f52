/** How the desk writes times and fingerprints for people, in pages, mail and messages alike. */

/** "2026-11-23 19:40 UTC": times are always written in UTC. */
export const formatUtc = (date: Date): string => `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** "2026-11-23": the UTC day of a moment. */
export const formatUtcDay = (date: Date): string => date.toISOString().slice(0, 10);

/** An OpenPGP fingerprint in groups of four, as people read them aloud. */
export const groupFingerprint = (fingerprint: string): string => fingerprint.replace(/(.{4})(?=.)/g, "$1 ");
