/**
 * The password policy's names and its length rule (DESIGN §4), on their own so the CLI can
 * check an operator's password without the blocklist and strength estimate of password-policy.ts.
 */
export type PolicyName = "classic" | "nist";

export const MAX_PASSWORD_LENGTH = 128;
export const MIN_PASSWORD_LENGTH: Record<PolicyName, number> = { classic: 8, nist: 15 };

/** Length in characters (code points) after Unicode normalisation; never truncated. */
export function passwordLength(password: string): number {
  // eslint-disable-next-line @typescript-eslint/no-misused-spread -- counts code points on purpose (DESIGN §4: length in characters, not UTF-16 units)
  return [...password.normalize("NFC")].length;
}

export function lengthProblem(password: string, policy: PolicyName): string | null {
  const length = passwordLength(password);
  const min = MIN_PASSWORD_LENGTH[policy];
  if (length < min) return `Password must be at least ${min} characters long.`;
  if (length > MAX_PASSWORD_LENGTH) return `Password must be at most ${MAX_PASSWORD_LENGTH} characters long.`;
  return null;
}
