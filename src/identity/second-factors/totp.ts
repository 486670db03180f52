import { Secret, TOTP } from "otpauth";

/** RFC 6238 as every authenticator app and Keycloak expect it: SHA-1, 6 digits, 30-second steps. */
const PARAMETERS = { algorithm: "SHA1", digits: 6, period: 30 } as const;
/** One step either side: a phone clock a little off, or a code typed as it turned over. */
const WINDOW = 1;

/** A new secret: 160 bits (RFC 4226's recommended length), as base32 for the app. */
export const newTotpSecret = (): string => new Secret({ size: 20 }).base32;

/** The otpauth:// URI the QR code carries. */
export function totpUri(secret: string, issuer: string, account: string): string {
  return new TOTP({ ...PARAMETERS, issuer, label: account, secret: Secret.fromBase32(secret) }).toString();
}

/** The secret in groups of four, as people type it into an app by hand. */
export const groupedSecret = (secret: string): string => secret.match(/.{1,4}/g)!.join(" ");

/** The 30-second step a code of this secret belongs to at `now`, within the window; null when it matches none. */
export function stepOfCode(secret: string, code: string, now: Date): number | null {
  const timestamp = now.getTime();
  const delta = TOTP.validate({ ...PARAMETERS, token: code, secret: Secret.fromBase32(secret), timestamp, window: WINDOW });
  return delta === null ? null : TOTP.counter({ period: PARAMETERS.period, timestamp }) + delta;
}

/** A six-digit code, once spaces are taken out: an authenticator code; anything else may be a recovery code. */
export const looksLikeTotpCode = (code: string): boolean => /^\d{6}$/.test(code);
