import { chmodSync } from "node:fs";
import * as openpgp from "openpgp";
import { appendAudit } from "../platform/audit/audit-log.js";
import type { Clock } from "../shared/clock.js";
import { ConfigError } from "../shared/config.js";
import type { Db } from "../shared/db.js";
import { replaceFile, writeNewFile } from "../shared/durable-files.js";
import type { Logger } from "../shared/logger.js";
import { deskKeyOf, fingerprintOf, generateDeskKey, keepRetiredKey, readDeskKeyFile, readRetiredKeys, retiredKeysFile, type DeskKey, type DeskKeyIdentity } from "../platform/mail/desk-key.js";
import { cancelUnopenableMail, clearRotateFlag, publishedDeskKeys, recordDeskKey, retireOtherDeskKeys, unsentSealedMail } from "../platform/mail/desk-key-store.js";

export interface DeskKeySettings {
  /** DESK_KEY_FILE. */
  file: string;
  /** DESK_KEY_ROTATE: make a new desk key at this start, keeping the old one to open what it sealed. */
  rotate: boolean;
  identity: DeskKeyIdentity;
}

interface StartDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
}

/**
 * The desk key for this process. The first start makes one and records it as published;
 * later starts must find that same key in the file. A missing or different key file stops
 * the start (mail sealed to the old key could never be opened, and /pgp-key.asc would change
 * under everyone's feet) unless DESK_KEY_ROTATE=1 asks for a new key.
 */
export async function openDeskKey(deps: StartDeps, settings: DeskKeySettings): Promise<DeskKey> {
  const { db, logger } = deps;
  const { file } = settings;
  const current = (await publishedDeskKeys(db)).find((k) => !k.retiredAt) ?? null;
  const retired = await readRetiredKeys(file);
  const onFile = await readDeskKeyFile(file);

  // The flag is spent once it has made the current key: left set, it must not rotate at every restart.
  const spent = settings.rotate && current?.madeUnderRotateFlag === true;
  if (spent) logger.warn({ keyFile: file, fingerprint: current.fingerprint }, "DESK_KEY_ROTATE=1 is still set but already made the current desk key; unset it (a later start with it set again makes another key)");
  // A start without the flag re-arms it, whatever the start's outcome.
  if (!settings.rotate && current?.madeUnderRotateFlag) await clearRotateFlag(db);
  const rotate = settings.rotate && !spent;
  const rearm = spent ? " (DESK_KEY_ROTATE=1 is still set from the rotation that made the published key; it counts again only after one start without it)" : "";

  if (onFile && !rotate) {
    const fingerprint = fingerprintOf(onFile);
    if (current && current.fingerprint !== fingerprint) {
      throw new ConfigError(
        `Cannot start: the desk key file ${file} (DESK_KEY_FILE) holds key ${fingerprint}, but the desk's published key is ${current.fingerprint}; put back the file that holds it, or start once with DESK_KEY_ROTATE=1 to publish a new desk key${rearm}.`,
      );
    }
    chmodSync(file, 0o600);
    if (!current) await publish(deps, onFile, { source: "key file", rotated: false });
    return deskKeyOf(onFile, retired);
  }

  if (!onFile && !rotate) {
    const waiting = (await unsentSealedMail(db)).length;
    if (current || waiting > 0) {
      const what = [current && `the desk has published key ${current.fingerprint}`, waiting > 0 && `${waiting} sealed mail${waiting === 1 ? "" : "s"} wait to be opened with the desk key`].filter(Boolean).join(" and ");
      throw new ConfigError(
        `Cannot start: the desk key file ${file} (DESK_KEY_FILE) is missing, but ${what}; restore the file from a backup, or start once with DESK_KEY_ROTATE=1 to make a new desk key (sealed mail no kept key can open is then cancelled)${rearm}.`,
      );
    }
    return createFirstKey(deps, settings, retired, false);
  }

  if (!onFile && !current) return createFirstKey(deps, settings, retired, true);
  return rotateKey(deps, settings, onFile, retired, current?.fingerprint ?? null);
}

/** The very first desk key: written where no file is. Two processes starting at once agree on one. */
async function createFirstKey(deps: StartDeps, settings: DeskKeySettings, retired: openpgp.PrivateKey[], rotated: boolean): Promise<DeskKey> {
  const key = await generateDeskKey(settings.identity);
  try {
    writeNewFile(settings.file, key.armor());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return openDeskKey(deps, { ...settings, rotate: false });
  }
  await publish(deps, key, { source: "generated", rotated });
  return deskKeyOf(key, retired);
}

/** A new desk key; the one in the file (when there is one) joins the retired keys, still able to open what it sealed. */
async function rotateKey(deps: StartDeps, settings: DeskKeySettings, onFile: openpgp.PrivateKey | null, retired: openpgp.PrivateKey[], published: string | null): Promise<DeskKey> {
  const { db, clock, logger } = deps;
  const key = await generateDeskKey(settings.identity);
  // The old key is kept before the file is replaced: a crash in between loses nothing.
  if (onFile) {
    await keepRetiredKey(settings.file, onFile);
    replaceFile(settings.file, key.armor());
  } else {
    writeNewFile(settings.file, key.armor());
  }
  const kept = onFile ? [onFile, ...retired] : retired;
  const unopenable = await mailNoKeyOpens(db, [key, ...kept]);
  const now = clock.now();
  const fingerprint = fingerprintOf(key);
  const lost = published && !kept.some((k) => fingerprintOf(k) === published) ? published : null;
  const cancelled = await db.transaction(async (trx) => {
    if (onFile) await recordDeskKey(trx, { fingerprint: fingerprintOf(onFile), publicKey: onFile.toPublic().armor(), madeUnderRotateFlag: false }, now);
    await recordDeskKey(trx, { fingerprint, publicKey: key.toPublic().armor(), madeUnderRotateFlag: true }, now);
    await retireOtherDeskKeys(trx, fingerprint, now);
    const reason = `Sealed to a desk key that was lost (${lost ?? "not kept"}) and replaced by DESK_KEY_ROTATE; it can never be opened. Send the link again.`;
    const count = await cancelUnopenableMail(trx, unopenable, reason, now);
    const details = { from: published, fileKey: onFile ? fingerprintOf(onFile) : null, to: fingerprint, oldKeyKept: !lost, cancelledMail: count };
    await appendAudit(trx, { action: "desk_key.rotated", actor: "system", subject: `desk_key:${fingerprint}`, details }, now);
    return count;
  });
  logger.warn({ keyFile: settings.file, retiredKeys: retiredKeysFile(settings.file), from: published, to: fingerprint, oldKeyKept: !lost, cancelledMail: cancelled }, "desk key rotated (DESK_KEY_ROTATE=1): /pgp-key.asc now serves the new key");
  return deskKeyOf(key, kept);
}

async function publish(deps: StartDeps, key: openpgp.PrivateKey, how: { source: "key file" | "generated"; rotated: boolean }): Promise<void> {
  const now = deps.clock.now();
  const fingerprint = fingerprintOf(key);
  await deps.db.transaction(async (trx) => {
    await recordDeskKey(trx, { fingerprint, publicKey: key.toPublic().armor(), madeUnderRotateFlag: how.rotated }, now);
    await appendAudit(trx, { action: "desk_key.published", actor: "system", subject: `desk_key:${fingerprint}`, details: { fingerprint, source: how.source } }, now);
  });
  deps.logger.info({ fingerprint, source: how.source }, "desk key published");
}

/** Ids of the sealed mail that waits to be sent and was sealed to none of `keys`. */
async function mailNoKeyOpens(db: Db, keys: openpgp.PrivateKey[]): Promise<number[]> {
  const held = new Set(keys.flatMap((k) => k.getKeyIDs().map((id) => id.toHex())));
  const ids: number[] = [];
  for (const mail of await unsentSealedMail(db)) {
    const message = await openpgp.readMessage({ armoredMessage: mail.message });
    if (!message.getEncryptionKeyIDs().some((id) => held.has(id.toHex()))) ids.push(mail.id);
  }
  return ids;
}
