import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as zxcvbnCommon from "@zxcvbn-ts/language-common";
import * as zxcvbnEn from "@zxcvbn-ts/language-en";
import { verifyPassword } from "./password-hashing.js";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwordLength, type PolicyName } from "./password-length.js";

/** The password history rule of the classic policy: not one of the previous 7. */
export const HISTORY_DEPTH = 7;
/**
 * The fewest guesses zxcvbn may estimate: 10^7.5. A random 8-character password of the
 * classic policy estimates 10^8 and passes; "Summer2024!" (10^7) and "Passw0rd!" (10^4) do not.
 */
const MIN_GUESSES_LOG10 = 7.5;

/** Who the password is for: it may not contain their username, name or email name. */
export interface PasswordOwner {
  username: string;
  displayName?: string | null;
  email?: string | null;
  /** Hashes of the current and earlier passwords, newest first (classic policy only). */
  previousHashes?: string[];
}

/** The requirements, in words, for the form that sets a password. */
export function passwordRequirements(policy: PolicyName): string[] {
  const common = [
    `At least ${MIN_PASSWORD_LENGTH[policy]} and at most ${MAX_PASSWORD_LENGTH} characters.`,
    "Not a common or easily guessed password, and not containing your username or name.",
  ];
  if (policy === "nist") return [...common, "Long passphrases of several unrelated words work well."];
  return [
    common[0]!,
    "An upper-case letter, a lower-case letter, a digit and a character that is not a letter or digit.",
    common[1]!,
    `Not one of your previous ${HISTORY_DEPTH} passwords.`,
  ];
}

let zxcvbn: ZxcvbnFactory | undefined;
let blocklist: Set<string> | undefined;
function estimator() {
  zxcvbn ??= new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
    // The estimate runs on the event loop and its cost grows fast with length and with
    // l33t substitutions: capped, a hostile 128-character input costs ~50 ms, not ~500 ms.
    // A password is judged on its first 64 characters; "P@ssw0rd" is still caught.
    maxLength: 64,
    l33tMaxSubstitutions: 10,
  });
  blocklist ??= new Set(zxcvbnCommon.dictionary["passwords-common"].map((p) => p.toLowerCase()));
  return { zxcvbn, blocklist };
}

/** The parts of the owner's identity a password may not contain (3 characters or more). */
function identityParts(owner: PasswordOwner): string[] {
  const parts = [owner.username, owner.email?.split("@")[0] ?? "", ...(owner.displayName ?? "").split(/[\s.,'’-]+/)];
  // eslint-disable-next-line @typescript-eslint/no-misused-spread -- counts code points on purpose (DESIGN §4: length in characters, not UTF-16 units)
  return [...new Set(parts.map((p) => p.normalize("NFC").toLowerCase()).filter((p) => [...p].length >= 3))];
}

/**
 * Checks a new password against the policy and returns one named problem per failed
 * rule (empty when it is acceptable). Unicode-normalised (NFC), never truncated.
 */
export async function passwordProblems(policy: PolicyName, password: string, owner: PasswordOwner): Promise<string[]> {
  const value = password.normalize("NFC");
  const problems: string[] = [];
  const length = passwordLength(value);
  if (length < MIN_PASSWORD_LENGTH[policy]) problems.push(`Password must be at least ${MIN_PASSWORD_LENGTH[policy]} characters long.`);
  if (length > MAX_PASSWORD_LENGTH) return [`Password must be at most ${MAX_PASSWORD_LENGTH} characters long.`];

  if (policy === "classic") {
    if (!/\p{Lu}/u.test(value)) problems.push("Password must contain an upper-case letter.");
    if (!/\p{Ll}/u.test(value)) problems.push("Password must contain a lower-case letter.");
    if (!/\p{Nd}/u.test(value)) problems.push("Password must contain a digit.");
    if (!/[^\p{L}\p{N}]/u.test(value)) problems.push("Password must contain a character that is not a letter or digit.");
  }

  const lower = value.toLowerCase();
  const { zxcvbn: z, blocklist: common } = estimator();
  if (common.has(lower)) problems.push("Password is on the list of commonly used passwords.");
  if (identityParts(owner).some((part) => lower.includes(part))) problems.push("Password must not contain your username, name or email name.");
  else if (!common.has(lower) && z.check(value, identityParts(owner)).guessesLog10 < MIN_GUESSES_LOG10) {
    problems.push("Password is too easy to guess: avoid words, names, dates, keyboard patterns and repeats.");
  }

  if (policy === "classic" && problems.length === 0) {
    for (const hash of (owner.previousHashes ?? []).slice(0, HISTORY_DEPTH)) {
      if (await verifyPassword(hash, value)) {
        problems.push(`Password must not be one of your previous ${HISTORY_DEPTH} passwords.`);
        break;
      }
    }
  }
  return problems;
}
