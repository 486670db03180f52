import { appendAudit } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db.js";
import { checkPublicKey } from "./pgp-key-check.js";
import { currentKey, removeKey, replaceKey } from "./keys-store.js";
import { findLoginById } from "./users-store.js";

export interface KeyActor {
  id: number;
  username: string;
  ip: string | null;
}

/**
 * Checks a pasted public key against the login's registered address and puts it in use,
 * retiring the previous one; audited with both fingerprints. Returns the problems, if any.
 */
export async function setLoginKey(deps: { db: Db; clock: Clock }, userId: number, armored: string, actor: KeyActor): Promise<string[]> {
  const login = await findLoginById(deps.db, userId);
  if (!login) return ["This login no longer exists."];
  const now = deps.clock.now();
  const check = await checkPublicKey(armored, login.email, now);
  if (!check.ok) return check.problems;
  await deps.db.transaction(async (trx) => {
    const previous = await currentKey(trx, userId);
    await replaceKey(trx, userId, check.key, actor.id, now);
    await appendAudit(
      trx,
      {
        action: previous ? "key.replaced" : "key.added",
        actorId: actor.id,
        actor: actor.username,
        ip: actor.ip,
        subject: `user:${userId}`,
        details: { username: login.username, fingerprint: check.key.fingerprint, previousFingerprint: previous?.fingerprint ?? null, expiresAt: check.key.expiresAt?.toISOString() ?? null },
      },
      now,
    );
  });
  return [];
}

export async function removeLoginKey(deps: { db: Db; clock: Clock }, userId: number, actor: KeyActor): Promise<boolean> {
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    const fingerprint = await removeKey(trx, userId, now);
    if (!fingerprint) return false;
    await appendAudit(trx, { action: "key.removed", actorId: actor.id, actor: actor.username, ip: actor.ip, subject: `user:${userId}`, details: { fingerprint } }, now);
    return true;
  });
}
