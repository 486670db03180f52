import type { Actor } from "../shared/actor.js";
import { appendAudit } from "../platform/audit/audit-log.js";
import type { Knex } from "knex";
import type { MailingDeps } from "../platform/mail/mailer.js";
import { checkPublicKey, findLoginById, putKeyInUse, takeKeyOutOfUse, type Login } from "../identity/index.js";
import { loginRecipients, noteRecordChange } from "./record-change-service.js";

/** A key put in, replaced or taken out is a record change: the login (and for a primary, every contact) is told. */
async function noteKeyChange(trx: Knex.Transaction, deps: MailingDeps, login: Login, before: string | null, after: string | null, actor: Actor, now: Date): Promise<void> {
  const change = { accountId: login.accountId, what: "key" as const, userId: login.id, contactId: null, subjectName: login.username, before, after };
  await noteRecordChange(trx, deps, change, await loginRecipients(trx, login), actor, now);
}

/**
 * Checks a pasted public key against the login's registered address and puts it in use,
 * retiring the previous one; audited with both fingerprints. Returns the problems, if any.
 */
export async function setLoginKey(deps: MailingDeps, userId: number, armored: string, actor: Actor): Promise<string[]> {
  const login = await findLoginById(deps.db, userId);
  if (!login) return ["This login no longer exists."];
  const now = deps.clock.now();
  const check = await checkPublicKey(armored, login.email, now);
  if (!check.ok) return check.problems;
  await deps.db.transaction(async (trx) => {
    const previous = await putKeyInUse(trx, userId, check.key, actor.id, now);
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
    await noteKeyChange(trx, deps, login, previous?.fingerprint ?? null, check.key.fingerprint, actor, now);
  });
  return [];
}

export async function removeLoginKey(deps: MailingDeps, userId: number, actor: Actor): Promise<boolean> {
  const login = await findLoginById(deps.db, userId);
  if (!login) return false;
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    const fingerprint = await takeKeyOutOfUse(trx, userId, now);
    if (!fingerprint) return false;
    await noteKeyChange(trx, deps, login, fingerprint, null, actor, now);
    await appendAudit(trx, { action: "key.removed", actorId: actor.id, actor: actor.username, ip: actor.ip, subject: `user:${userId}`, details: { fingerprint } }, now);
    return true;
  });
}
