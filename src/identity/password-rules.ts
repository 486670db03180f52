/**
 * The length rule of the password policy (DESIGN §4). The full policy — composition,
 * history, blocklist and strength — lands with the accounts issue and extends this module.
 */
export type PolicyName = "classic" | "nist";

export const MAX_PASSWORD_LENGTH = 128;
export const MIN_PASSWORD_LENGTH: Record<PolicyName, number> = { classic: 8, nist: 15 };

/** Length in characters (code points) after Unicode normalisation; never truncated. */
export function passwordLength(password: string): number {
  return [...password.normalize("NFC")].length;
}

export function lengthProblem(password: string, policy: PolicyName): string | null {
  const length = passwordLength(password);
  const min = MIN_PASSWORD_LENGTH[policy];
  if (length < min) return `Password must be at least ${min} characters long.`;
  if (length > MAX_PASSWORD_LENGTH) return `Password must be at most ${MAX_PASSWORD_LENGTH} characters long.`;
  return null;
}
