import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { ConfigError, decodeDataKey, type Config } from "./config.js";
import { writeNewFile } from "./durable-files.js";

/** The data key: seals secrets the desk must read back (factor secrets), so a copy of the database alone opens none. */
export interface DataKey {
  readonly key: Buffer;
}

/** The file a generated data key lives in, beside the session secret. */
export const dataKeyFile = (config: Config) => path.join(config.varDir, "data-key");

/**
 * The data key: DATA_KEY when given, else the one in var/data-key, generated there (mode 0600)
 * at the first start. Two processes starting at once agree on one file. A file others may read
 * (restored or copied in without its mode) is used, with a warning through `warn`.
 */
export function resolveDataKey(config: Config, warn: (message: string) => void = () => undefined): DataKey {
  if (config.dataKey) return { key: config.dataKey };
  const file = dataKeyFile(config);
  if (!existsSync(file)) {
    try {
      writeNewFile(file, randomBytes(32).toString("base64") + "\n");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  if (statSync(file).mode & 0o077) warn(`The data key file ${file} can be read by other users of this machine: make it private (chmod 600), or set DATA_KEY`);
  const key = decodeDataKey(readFileSync(file, "utf8").trim());
  if (!key) throw new ConfigError(`Cannot start: the data key file ${file} does not hold a 32-byte key (base64 or hex); put back the file from a backup, or set DATA_KEY`);
  return { key };
}

const VERSION = "v1";

/**
 * AES-256-GCM with a fresh 96-bit nonce. `context` (e.g. "totp:user:7") is bound in as
 * associated data: a sealed value copied into another row does not open there.
 */
export function seal(dataKey: DataKey, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", dataKey.key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [VERSION, iv.toString("base64"), cipher.getAuthTag().toString("base64"), body.toString("base64")].join(":");
}

/** Opens what {@link seal} sealed with the same key and context; throws when either differs or the value was changed. */
export function unseal(dataKey: DataKey, sealed: string, context: string): string {
  const [version, iv, tag, body] = sealed.split(":");
  if (version !== VERSION || !iv || !tag || body === undefined) throw new Error("not a sealed value");
  const decipher = createDecipheriv("aes-256-gcm", dataKey.key, Buffer.from(iv, "base64"), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(Buffer.from(tag, "base64"));
  return Buffer.concat([decipher.update(Buffer.from(body, "base64")), decipher.final()]).toString("utf8");
}
