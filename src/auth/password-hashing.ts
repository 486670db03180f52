import { hash, verify } from "@node-rs/argon2";

/**
 * argon2id above OWASP's floor (m = 19 MiB, t = 2, p = 1). @node-rs/argon2 hashes on
 * libuv's thread pool, so a sign-in never blocks the event loop.
 */
const PARAMS = { algorithm: 2 /* Algorithm.Argon2id: a const enum, not importable under verbatimModuleSyntax */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize("NFC"), PARAMS);
}

export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, password.normalize("NFC"));
  } catch {
    return false;
  }
}

// A real hash of a random string, verified against when the login does not exist,
// so an unknown username costs the same time as a wrong password.
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(crypto.randomUUID());
  return decoyHash;
}
