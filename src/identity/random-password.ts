import { randomInt } from "node:crypto";

const LOWER = "abcdefghijkmnopqrstuvwxyz";
const UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS = "23456789";
// No "=": it is the quoted-printable escape, and a holder reading the decrypted part raw
// (gpg --decrypt) would see "=3D" in the password.
const SYMBOLS = "!#%+-?@^_~";
const ALL = LOWER + UPPER + DIGITS + SYMBOLS;

/**
 * A random password from the CSPRNG that meets the classic policy: 24 characters from a
 * 74-symbol alphabet (about 149 bits), with each character class present at least once.
 */
export function generateRandomPassword(length = 24): string {
  const chars = [LOWER, UPPER, DIGITS, SYMBOLS].map((set) => set[randomInt(set.length)]!);
  while (chars.length < length) chars.push(ALL[randomInt(ALL.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join("");
}
