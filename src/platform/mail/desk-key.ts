import { readFileSync } from "node:fs";
import * as openpgp from "openpgp";
import { ConfigError } from "../../shared/config.js";
import { replaceFile } from "../../shared/durable-files.js";

/** The desk's own OpenPGP key pair: it signs every encrypted mail; its public half is published. */
export interface DeskKey {
  privateKey: openpgp.PrivateKey;
  publicArmored: string;
  fingerprint: string;
  /** Keys the desk used before a rotation, kept only to open what was sealed to them. */
  retired: openpgp.PrivateKey[];
}

export interface DeskKeyIdentity {
  name: string;
  email: string;
}

export const fingerprintOf = (key: openpgp.Key) => key.getFingerprint().toUpperCase();

export function deskKeyOf(privateKey: openpgp.PrivateKey, retired: openpgp.PrivateKey[] = []): DeskKey {
  return { privateKey, publicArmored: privateKey.toPublic().armor(), fingerprint: fingerprintOf(privateKey), retired };
}

/** Where the keys retired by DESK_KEY_ROTATE are kept: beside the key file, one keyring. */
export const retiredKeysFile = (keyFile: string) => `${keyFile}.retired`;

/** A new desk key (Ed25519/X25519), in memory only. */
export async function generateDeskKey(identity: DeskKeyIdentity): Promise<openpgp.PrivateKey> {
  const { privateKey } = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [identity], format: "object" });
  return privateKey;
}

/**
 * The key in the desk key file, or null when there is no such file. A file that is there
 * but cannot be used is a one-line {@link ConfigError} naming it and what to do.
 */
export async function readDeskKeyFile(file: string): Promise<openpgp.PrivateKey | null> {
  const keys = await readKeyring(file, (problem) =>
    `The desk key file ${file} (DESK_KEY_FILE) ${problem}; restore it from a backup, or move it away and start once with DESK_KEY_ROTATE=1 to make a new desk key.`,
  );
  if (keys === null) return null;
  if (keys.length !== 1) throw new ConfigError(`The desk key file ${file} (DESK_KEY_FILE) holds ${keys.length} keys instead of one; keep only the desk key in it.`);
  return keys[0]!;
}

/** The retired keys (none when the keyring does not exist). */
export async function readRetiredKeys(keyFile: string): Promise<openpgp.PrivateKey[]> {
  const file = retiredKeysFile(keyFile);
  const keys = await readKeyring(file, (problem) => `The retired desk keys in ${file} ${problem}; restore the file from a backup (it opens mail sealed before a DESK_KEY_ROTATE).`);
  return keys ?? [];
}

async function readKeyring(file: string, message: (problem: string) => string): Promise<openpgp.PrivateKey[] | null> {
  let armored: string;
  try {
    armored = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    throw new ConfigError(message(`cannot be read (${code ?? String(err)})`));
  }
  let keys: openpgp.PrivateKey[];
  try {
    keys = await openpgp.readPrivateKeys({ armoredKeys: armored });
  } catch (err) {
    throw new ConfigError(message(`is not an armored OpenPGP private key (${firstLine(err)})`));
  }
  if (keys.some((k) => !k.isDecrypted())) throw new ConfigError(message("is passphrase-protected; the desk needs it unprotected, with mode 0600"));
  return keys;
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split("\n")[0]!.slice(0, 200);

/** Adds `key` to the retired keyring (once). */
export async function keepRetiredKey(keyFile: string, key: openpgp.PrivateKey): Promise<void> {
  const kept = await readRetiredKeys(keyFile);
  if (kept.some((k) => fingerprintOf(k) === fingerprintOf(key))) return;
  replaceFile(retiredKeysFile(keyFile), [...kept, key].map((k) => k.armor()).join("\n"));
}
