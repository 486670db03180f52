import { availableParallelism } from "node:os";
import { hash, verify } from "@node-rs/argon2";
import pLimit from "p-limit";

/**
 * argon2id above OWASP's floor (m = 19 MiB, t = 2, p = 1). @node-rs/argon2 hashes on
 * libuv's thread pool, so a sign-in never blocks the event loop.
 */
const PARAMS = { algorithm: 2 /* Algorithm.Argon2id: a const enum, not importable under verbatimModuleSyntax */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * Hashes at once: one core fewer than the machine has (at least one, at most libuv's 4
 * threads less two). SQLite's queries run on the same thread pool, so a burst of sign-ins
 * queues here instead of starving every other request of threads and CPU.
 */
const hashing = pLimit(Math.max(1, Math.min(availableParallelism() - 1, 2)));

export function hashPassword(password: string): Promise<string> {
  return hashing(() => hash(password.normalize("NFC"), PARAMS));
}

export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await hashing(() => verify(storedHash, password.normalize("NFC")));
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
