// The words of accounts, in one place: an account's statuses, a contact's kinds, what a record
// change is about (and how it reads in a notice), the windows around a change, who starts a
// set-password link (CONTEXT.md says what each means; phone numbers are phone-numbers.ts).
import { hours } from "../shared/clock.js";

/** A suspended account's logins are signed out and cannot sign in. */
export type AccountStatus = "active" | "suspended";

/** A contact is the account's primary contact or a secondary one; each may be authorised for support. */
export const CONTACT_KINDS = ["primary", "secondary"] as const;
export type ContactKind = (typeof CONTACT_KINDS)[number];

/**
 * What changed: a login's registered email or OpenPGP key, a contact's phone number or email,
 * a contact's standing (kind, authorisation for support, linked login), or a contact removed.
 */
export type RecordWhat = "email" | "key" | "phone" | "contact_email" | "contact_standing" | "contact_removed";

const WHAT_WORDS: Record<RecordWhat, (name: string) => string> = {
  email: (name) => `the registered email address of the login ${name}`,
  key: (name) => `the OpenPGP key of the login ${name}`,
  phone: (name) => `the phone number of ${name} on the account's contacts`,
  contact_email: (name) => `the email address of ${name} on the account's contacts`,
  contact_standing: (name) => `the kind, support authorisation or login of ${name} on the account's contacts`,
  contact_removed: (name) => `the account's contacts, by removing ${name}`,
};

/** What changed, in words: "the registered email address of the login ACM0001". */
export const describeChange = (c: { what: RecordWhat; subjectName: string }) => WHAT_WORDS[c.what](c.subjectName);

/** Changes this recent to an account's records bear on a primary reset (DESIGN §3): an admin approves, never the one who made them. */
export const RECENT_CHANGE_MS = hours(24 * 7);
/** How long a change's objection link works. */
export const CHANGE_OBJECTION_TTL_MS = hours(24 * 30);

/** Who starts a set-password link: support (an admin, for a login never activated or staff), or the primary holder for a secondary. */
export type LinkStarter = "desk" | "holder";
