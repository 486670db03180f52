import { randomInt } from "node:crypto";

/**
 * The delivery passphrase of a key-less holder (DESIGN §3 step 4b): read aloud on the callback,
 * typed on /open-message or at GnuPG's prompt. Symbols that look alike when written or printed
 * are left out: none of 0 O Q, 1 I L, 2 Z, 5 S, 6 G, 8 B.
 * 22 symbols, 16 of them: log2(22) × 16 ≈ 71.3 bits from the CSPRNG.
 *
 * public/js/open-message.js applies the same rules in the browser (a test holds them equal).
 */
export const PASSPHRASE_ALPHABET = "ACDEFHJKMNPRTUVWXY3479";
export const PASSPHRASE_GROUPS = 4;
export const PASSPHRASE_GROUP_LENGTH = 4;
const LENGTH = PASSPHRASE_GROUPS * PASSPHRASE_GROUP_LENGTH;

/** The entropy of one passphrase, in bits. */
export const PASSPHRASE_BITS = LENGTH * Math.log2(PASSPHRASE_ALPHABET.length);

/** A new passphrase in its canonical form, "XXXX-XXXX-XXXX-XXXX": each symbol chosen uniformly (randomInt has no modulo bias). */
export function newDeliveryPassphrase(): string {
  const symbols = Array.from({ length: LENGTH }, () => PASSPHRASE_ALPHABET[randomInt(PASSPHRASE_ALPHABET.length)]!);
  return grouped(symbols.join(""));
}

const grouped = (symbols: string) => symbols.match(new RegExp(`.{${PASSPHRASE_GROUP_LENGTH}}`, "g"))!.join("-");

export type NormalisedPassphrase = { ok: true; passphrase: string } | { ok: false; problem: string };

/**
 * What a person typed, in the canonical form the message was encrypted with: any case, spaces,
 * hyphens and dots between symbols are fine. A symbol outside the alphabet is refused by name
 * rather than guessed at (an O could have been meant as anything), and so is a wrong length.
 */
export function normalisePassphrase(typed: string): NormalisedPassphrase {
  const symbols = typed.toUpperCase().replace(/[\s.\-_]+/g, "");
  if (symbols === "") return { ok: false, problem: "Enter the passphrase you were told on the phone." };
  const strange = [...new Set(Array.from(symbols).filter((c) => !PASSPHRASE_ALPHABET.includes(c)))];
  if (strange.length > 0) {
    return { ok: false, problem: `The passphrase has no ${strange.map((c) => `“${c}”`).join(", ")}: it uses only the letters and digits ${PASSPHRASE_ALPHABET}. Check what you wrote down.` };
  }
  if (symbols.length !== LENGTH) {
    return { ok: false, problem: `The passphrase has ${LENGTH} letters and digits (${PASSPHRASE_GROUPS} groups of ${PASSPHRASE_GROUP_LENGTH}); you typed ${symbols.length}.` };
  }
  return { ok: true, passphrase: grouped(symbols) };
}

/** The NATO spelling alphabet for the passphrase's letters, so the agent can spell it without doubt. */
const SPOKEN: Record<string, string> = {
  A: "Alfa", C: "Charlie", D: "Delta", E: "Echo", F: "Foxtrot", H: "Hotel", J: "Juliett", K: "Kilo", M: "Mike", N: "November",
  P: "Papa", R: "Romeo", T: "Tango", U: "Uniform", V: "Victor", W: "Whiskey", X: "X-ray", Y: "Yankee",
  "3": "three", "4": "four", "7": "seven", "9": "nine",
};

/** "ACDE-…" as the agent reads it: one group a line, "Alfa Charlie Delta Echo". */
export function spokenPassphrase(passphrase: string): string[] {
  return passphrase.split("-").map((group) => Array.from(group).map((c) => SPOKEN[c] ?? c).join(" "));
}
