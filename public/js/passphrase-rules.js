// The delivery passphrase as typed on /open-message: the same rules as
// src/resets/delivery-passphrase.ts (normalisePassphrase), which a test holds equal.
export const ALPHABET = "ACDEFHJKMNPRTUVWXY3479";
const GROUPS = 4;
const GROUP_LENGTH = 4;
const LENGTH = GROUPS * GROUP_LENGTH;

/** { ok: true, passphrase } in the canonical form "XXXX-XXXX-XXXX-XXXX", or { ok: false, problem }. */
export function normalisePassphrase(typed) {
  const symbols = typed.toUpperCase().replace(/[\s.\-_]+/g, "");
  if (symbols === "") return { ok: false, problem: "Enter the passphrase you were told on the phone." };
  const strange = [...new Set([...symbols].filter((c) => !ALPHABET.includes(c)))];
  if (strange.length > 0) {
    return { ok: false, problem: `The passphrase has no ${strange.map((c) => `“${c}”`).join(", ")}: it uses only the letters and digits ${ALPHABET}. Check what you wrote down.` };
  }
  if (symbols.length !== LENGTH) {
    return { ok: false, problem: `The passphrase has ${LENGTH} letters and digits (${GROUPS} groups of ${GROUP_LENGTH}); you typed ${symbols.length}.` };
  }
  return { ok: true, passphrase: symbols.match(new RegExp(`.{${GROUP_LENGTH}}`, "g")).join("-") };
}
