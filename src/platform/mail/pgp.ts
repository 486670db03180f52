import * as openpgp from "openpgp";
import type { DeskKey } from "./desk-key.js";

/** Raised instead of sending: the recipient has no key that can encrypt today. Nothing goes out in clear. */
export class NoUsableKeyError extends Error {
  override name = "NoUsableKeyError";
  constructor(readonly recipient: string, readonly reason: string) {
    super(`No usable OpenPGP encryption key for ${recipient}: ${reason}`);
  }
}

/**
 * Parsed recipient keys by their armored text, most recently used last. Parsing and checking a
 * key's self-signatures is most of the cost of a key that is read again for each mail; a key
 * object remembers the signatures it has verified. Keyed by the whole text, so a key replaced,
 * extended or revoked on file (another text) is read afresh; public keys only, nothing secret.
 */
const parsedKeys = new Map<string, openpgp.PublicKey>();
const PARSED_KEYS_KEPT = 500;

async function parsedPublicKey(armoredKey: string): Promise<openpgp.PublicKey> {
  const cached = parsedKeys.get(armoredKey);
  if (cached) {
    parsedKeys.delete(armoredKey);
    parsedKeys.set(armoredKey, cached);
    return cached;
  }
  // A private key's public half; a public key returns itself.
  const key = (await openpgp.readKey({ armoredKey })).toPublic();
  parsedKeys.set(armoredKey, key);
  if (parsedKeys.size > PARSED_KEYS_KEPT) parsedKeys.delete(parsedKeys.keys().next().value!);
  return key;
}

/** The recipient's public key, checked to hold a valid encryption (sub)key right now (expiry is checked at each call). */
export async function usableRecipientKey(recipient: string, armoredKey: string | null | undefined, now: Date): Promise<openpgp.PublicKey> {
  if (!armoredKey) throw new NoUsableKeyError(recipient, "no key on file");
  let key: openpgp.PublicKey;
  try {
    key = await parsedPublicKey(armoredKey);
  } catch {
    throw new NoUsableKeyError(recipient, "the key on file cannot be read");
  }
  try {
    await key.getEncryptionKey(undefined, now);
  } catch {
    throw new NoUsableKeyError(recipient, "the key on file has no valid encryption key (expired, revoked or signing-only)");
  }
  return key;
}

/**
 * Encrypts a whole MIME entity to the recipient and signs it with the desk key, as one
 * OpenPGP message (RFC 3156 §6.2, combined method). The bytes are kept exactly as given.
 */
export async function encryptAndSign(mimeEntity: Buffer, recipientKey: openpgp.PublicKey, deskKey: DeskKey, now: Date): Promise<string> {
  const message = await openpgp.createMessage({ binary: mimeEntity, format: "binary", date: now });
  const armored: unknown = await openpgp.encrypt({ message, encryptionKeys: recipientKey, signingKeys: deskKey.privateKey, date: now, format: "armored" });
  return armored as string;
}

/**
 * Seals a message at rest: encrypted to the desk's own key, so a mail that carries a
 * credential in clear (a single-use link) is never readable in the database or the mail log.
 */
export async function sealForDesk(raw: string, deskKey: DeskKey): Promise<string> {
  const message = await openpgp.createMessage({ text: raw });
  const armored: unknown = await openpgp.encrypt({ message, encryptionKeys: deskKey.privateKey.toPublic(), format: "armored" });
  return armored as string;
}

/** The sealed message as the worker hands it to the transport; mail sealed before a rotation opens with a retired key. */
export async function unsealWithDesk(armored: string, deskKey: DeskKey): Promise<string> {
  const message = await openpgp.readMessage({ armoredMessage: armored });
  const result: { data: unknown } = await openpgp.decrypt({ message, decryptionKeys: [deskKey.privateKey, ...deskKey.retired] });
  return result.data as string;
}

/**
 * What a holder with no key can open with a passphrase alone, in GnuPG 2.2 (Debian's) as well as
 * openpgp.js: AES-256, the iterated and salted S2K at its highest count (no Argon2, which GnuPG
 * 2.2 lacks; the count slows guessing the passphrase from a copy of the mail), and SEIPD v1 with
 * its MDC rather than AEAD, which GnuPG 2.2 cannot read.
 */
const PASSPHRASE_CONFIG = {
  preferredSymmetricAlgorithm: openpgp.enums.symmetric.aes256,
  s2kType: openpgp.enums.s2k.iterated,
  s2kIterationCountByte: 255,
  aeadProtect: false,
} as const;

/** Encrypts a text with a passphrase and signs it with the desk key: one armoured OpenPGP message. */
export async function encryptWithPassphrase(text: string, passphrase: string, deskKey: DeskKey, now: Date): Promise<string> {
  const message = await openpgp.createMessage({ text, date: now });
  const armored: unknown = await openpgp.encrypt({ message, passwords: [passphrase], signingKeys: deskKey.privateKey, date: now, format: "armored", config: PASSPHRASE_CONFIG });
  return armored as string;
}
