import * as openpgp from "openpgp";
import { formatUtcDay } from "../shared/formatting.js";

export const MAX_KEY_BYTES = 64 * 1024;
const MIN_RSA_BITS = 2048;
/** Curves of today's OpenPGP implementations; anything else is refused. */
const MODERN_CURVES = new Set(["curve25519Legacy", "ed25519Legacy", "nistP256", "nistP384", "nistP521", "brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1"]);
const MODERN_ALGORITHMS = new Set(["x25519", "x448", "ed25519", "ed448"]);

/** A public key that passed every check, with what the pages show of it. */
export interface CheckedKey {
  armored: string;
  fingerprint: string;
  algorithm: string;
  userIds: string[];
  createdAt: Date;
  expiresAt: Date | null;
}

export type KeyCheck = { ok: true; key: CheckedKey } | { ok: false; problems: string[] };

const READABLE: Record<string, string> = {
  ed25519Legacy: "Ed25519",
  curve25519Legacy: "Curve25519",
  nistP256: "NIST P-256",
  nistP384: "NIST P-384",
  nistP521: "NIST P-521",
  ed25519: "Ed25519",
  ed448: "Ed448",
  x25519: "X25519",
  x448: "X448",
};

/** "RSA 3072", "Ed25519", "NIST P-256 (ecdsa)", … for people to read. */
function describeAlgorithm(info: openpgp.AlgorithmInfo): string {
  const name = info.algorithm;
  if (name.startsWith("rsa")) return `RSA ${info.bits ?? "?"}`;
  if (info.curve) return READABLE[info.curve] ?? `${info.curve} (${name})`;
  return READABLE[name] ?? name;
}

function strengthProblem(info: openpgp.AlgorithmInfo): string | null {
  const name = info.algorithm;
  if (name.startsWith("rsa")) {
    return (info.bits ?? 0) < MIN_RSA_BITS ? `RSA keys must be at least ${MIN_RSA_BITS} bits; this one has ${info.bits ?? "unknown"}.` : null;
  }
  if (MODERN_ALGORITHMS.has(name) || (info.curve && MODERN_CURVES.has(info.curve))) return null;
  return `The key uses ${describeAlgorithm(info)}; use RSA (${MIN_RSA_BITS} bits or more) or a modern elliptic curve such as Curve25519.`;
}

/**
 * Checks a pasted OpenPGP key before it is stored: a readable public key (never a private
 * one), under 64 KB, strong enough, not expired or revoked, able to encrypt today, and
 * carrying `email` in a user ID. Every failed check is named.
 */
export async function checkPublicKey(armored: string, email: string | null, now: Date): Promise<KeyCheck> {
  const text = armored.trim();
  if (Buffer.byteLength(text, "utf8") > MAX_KEY_BYTES) return { ok: false, problems: ["The key is larger than 64 KB."] };
  if (text === "") return { ok: false, problems: ["Paste the public key, beginning with -----BEGIN PGP PUBLIC KEY BLOCK-----."] };
  if (/-----BEGIN PGP PRIVATE KEY BLOCK-----/.test(text)) {
    return { ok: false, problems: ["This is a private key. Paste only the public key; the private key was not stored and should stay with its owner."] };
  }
  let key: openpgp.Key;
  try {
    key = await openpgp.readKey({ armoredKey: text });
  } catch {
    return { ok: false, problems: ["The text is not an armoured OpenPGP public key."] };
  }
  if (key.isPrivate()) return { ok: false, problems: ["This is a private key. Paste only the public key."] };

  const problems: string[] = [];
  for (const part of key.getKeys()) {
    const weak = strengthProblem(part.getAlgorithmInfo());
    if (weak && !problems.includes(weak)) problems.push(weak);
  }
  if (await key.isRevoked(undefined, undefined, now)) problems.push("The key has been revoked.");
  const expiry = await key.getExpirationTime().catch(() => null);
  if (expiry instanceof Date && expiry <= now) problems.push(`The key expired on ${formatUtcDay(expiry)}.`);
  if (problems.length === 0) {
    try {
      await key.getEncryptionKey(undefined, now);
    } catch {
      problems.push("The key has no valid encryption key or subkey (it may be for signing only).");
    }
  }
  const userIds = key.getUserIDs();
  if (email && !userIds.some((id) => (/<([^>]+)>/.exec(id)?.[1] ?? id).trim().toLowerCase() === email.toLowerCase())) {
    problems.push(`None of the key's user IDs carries the registered address ${email}.`);
  }
  if (!email) problems.push("The login has no registered email address for the key to match.");
  if (problems.length) return { ok: false, problems };

  return {
    ok: true,
    key: {
      armored: key.toPublic().armor(),
      fingerprint: key.getFingerprint().toUpperCase(),
      algorithm: describeAlgorithm(key.getAlgorithmInfo()),
      userIds,
      createdAt: key.getCreationTime(),
      expiresAt: expiry instanceof Date ? expiry : null,
    },
  };
}
