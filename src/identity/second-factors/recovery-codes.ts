import { createHash, randomInt } from "node:crypto";

export const RECOVERY_CODE_COUNT = 10;
/** Lower-case letters and digits without the look-alikes (0 o 1 l i): 31 symbols. */
const ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz";
/** 16 symbols of 31: 79 bits, above the 64 NIST SP 800-63B-4 asks of saved codes. */
const LENGTH = 16;

/** A fresh set of codes, written as four groups of four (`k7pm-2xq9-…`). */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const symbols = Array.from({ length: LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");
    return symbols.match(/.{4}/g)!.join("-");
  });
}

/** What a typed code is compared as: case, spaces and hyphens do not matter. */
export const normaliseRecoveryCode = (typed: string): string => typed.toLowerCase().replace(/[\s-]+/g, "");

/** SHA-256 is enough for codes of 79 random bits (no dictionary to try), and lets a lookup find the code. */
export const hashRecoveryCode = (typed: string): string => createHash("sha256").update(normaliseRecoveryCode(typed), "utf8").digest("hex");
