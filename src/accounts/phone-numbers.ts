// A contact's phone number: what callbacks dial, so it is checked against each country's plan
// (libphonenumber's full metadata) rather than a pattern, kept in E.164 (+ and digits, one form
// per number, so a change of layout is no change of number) and shown in international form.
import { parsePhoneNumberFromString } from "libphonenumber-js/max";

export type PhoneParse = { ok: true; e164: string } | { ok: false; problem: string };

/** What a typed number may hold besides digits: the usual separators, a leading + or 00. */
const TYPED = /^(\+|00)[\d\s().\-/]+$/;

/**
 * A number as typed ("+44 20 7946 0001", "0044 (20) 7946-0001") in E.164, or why not. The
 * country code is required: contacts live in many countries, and a number read with a default
 * region would be dialled in the wrong one without anyone noticing.
 */
export function parsePhone(input: string): PhoneParse {
  const typed = input.trim();
  if (!/^(\+|00)/.test(typed)) return { ok: false, problem: "Start the number with + and its country code, like +44 20 7946 0001." };
  if (!TYPED.test(typed)) return { ok: false, problem: "A phone number holds only digits, spaces, brackets, dots and hyphens after the +; an extension cannot be dialled back." };
  const number = parsePhoneNumberFromString(typed.replace(/^00/, "+"));
  if (!number) return { ok: false, problem: "That is not a phone number: check the country code and the digits." };
  if (!number.isValid()) return { ok: false, problem: `That is not a valid number for the country code +${number.countryCallingCode}: check the digits.` };
  return { ok: true, e164: number.number };
}

/** A stored number as people read it ("+44 20 7946 0001"), or null for one that is not a valid number (kept from before it was checked). */
export function internationalPhone(stored: string): string | null {
  const number = parsePhoneNumberFromString(stored);
  return number?.isValid() ? number.formatInternational() : null;
}
