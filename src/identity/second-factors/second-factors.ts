import type { Knex } from "knex";
import { appendAudit } from "../../platform/audit/audit-log.js";
import type { Mailer } from "../../platform/mail/mailer.js";
import { enqueue } from "../../platform/mail/outbox-store.js";
import { auditedBy, type Actor } from "../../shared/actor.js";
import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import { hasPasskey, passkeysOf, type PasskeySummary } from "./passkeys-store.js";
import { done, refusedAt, type Result } from "../../shared/problems.js";
import { seal, unseal, type DataKey } from "../../shared/sealing.js";
import { recordFailure, reserveAttempt, settleAttempt, type SignInDeps } from "../sign-in-attempts.js";
import { bumpSessionEpoch, findLoginById } from "../users-store.js";
import { factorNoticeMail, type FactorEvent } from "./factor-mail.js";
import { hashRecoveryCode, newRecoveryCodes } from "./recovery-codes.js";
import {
  countUnusedRecoveryCodes,
  deleteRecoveryCodes,
  deleteTotp,
  findTotp,
  hasActiveTotp,
  replaceRecoveryCodes,
  spendRecoveryCode,
  storePendingTotp,
  takeTotpStep,
} from "./second-factors-store.js";
import { groupedSecret, looksLikeTotpCode, newTotpSecret, stepOfCode, totpUri } from "./totp.js";

/** With the lockout's settings: a code typed on the factor pages counts toward the sign-in lockout. */
export interface FactorDeps extends SignInDeps {
  db: Db;
  clock: Clock;
  mailer: Mailer;
  dataKey: DataKey;
}

/** The context a login's TOTP secret is sealed under: it opens in that login's row only. */
export const sealContext = (userId: number) => `totp:user:${userId}`;

const ISSUER = "Vouchdesk";

export interface FactorStatus {
  totp: "none" | "pending" | "active";
  totpSince: Date | null;
  passkeys: PasskeySummary[];
  /** An active authenticator app or a passkey: sign-in asks for it. */
  hasFactor: boolean;
  recoveryCodesLeft: number;
}

export async function factorStatus(db: Db, userId: number): Promise<FactorStatus> {
  const totp = await findTotp(db, userId);
  const passkeys = await passkeysOf(db, userId);
  return {
    totp: !totp ? "none" : totp.activatedAt ? "active" : "pending",
    totpSince: totp?.activatedAt ?? null,
    passkeys,
    hasFactor: Boolean(totp?.activatedAt) || passkeys.length > 0,
    recoveryCodesLeft: await countUnusedRecoveryCodes(db, userId),
  };
}

/** Whether the login has a second factor sign-in must ask for: an active authenticator app or a passkey. */
export const hasActiveFactor = async (db: Db | Knex.Transaction, userId: number): Promise<boolean> => (await hasActiveTotp(db, userId)) || (await hasPasskey(db, userId));

/** How a login proved its second factor. */
export type FactorMethod = "totp" | "recovery_code" | "passkey";

/**
 * A proof of the login's second factor, as a step asks it: `check` verifies and spends it (a
 * code's step taken, a recovery code used, a passkey's counter moved) and says how the login
 * proved itself, or null; `wrong` is what the page says when it did not.
 */
export interface FactorProof {
  kind: "code" | "passkey";
  check(login: { id: number; username: string }): Promise<FactorMethod | null>;
  wrong: string;
}

/** A typed code as the proof: an authenticator code or an unused recovery code. */
export const codeProof = (deps: FactorDeps, code: string, ip: string | null): FactorProof => ({
  kind: "code",
  check: (login) => spendFactorCode(deps, login, code, ip),
  wrong: WRONG_FACTOR_CODE,
});

/**
 * The ten recovery codes come with the login's first factor (an authenticator app or a
 * passkey): the caller asks whether the login `hadFactor` before storing the new one, and gets
 * the codes made in the same transaction, to be shown once; null when it had one (its codes stay).
 */
export async function codesForNewFactor(trx: Knex.Transaction, userId: number, now: Date, hadFactor: boolean): Promise<string[] | null> {
  if (hadFactor) return null;
  const codes = newRecoveryCodes();
  await replaceRecoveryCodes(trx, userId, codes.map(hashRecoveryCode), now);
  return codes;
}

/** The recovery codes go with the login's last factor, in the removal's transaction (after it); how many were removed. */
export async function codesAfterRemovedFactor(trx: Knex.Transaction, userId: number): Promise<number> {
  return (await hasActiveFactor(trx, userId)) ? 0 : deleteRecoveryCodes(trx, userId);
}

/** What the enrolment page shows while it waits for the first code: the secret is the holder's own. */
export interface PendingEnrolment {
  secret: string;
  grouped: string;
  uri: string;
}

export async function pendingEnrolment(deps: FactorDeps, actor: Actor): Promise<PendingEnrolment | null> {
  const row = await findTotp(deps.db, actor.id);
  if (!row || row.activatedAt) return null;
  const secret = unseal(deps.dataKey, row.secretSealed, sealContext(actor.id));
  return { secret, grouped: groupedSecret(secret), uri: totpUri(secret, ISSUER, actor.username) };
}

/** Starts (or starts again) an enrolment with a new sealed secret; refused while an authenticator is active. */
export async function startTotpEnrolment(deps: FactorDeps, actor: Actor): Promise<boolean> {
  const now = deps.clock.now();
  // Refused before anything is written: replacing an active authenticator goes through removing it (with a code).
  if (await hasActiveTotp(deps.db, actor.id)) return false;
  const sealed = seal(deps.dataKey, newTotpSecret(), sealContext(actor.id));
  return deps.db.transaction(async (trx) => {
    if (!(await storePendingTotp(trx, actor.id, sealed, now))) return false;
    await appendAudit(trx, { ...auditedBy(actor), action: "second_factor.totp_enrolment_started", subject: `user:${actor.id}` }, now);
    return true;
  });
}

const WRONG_CODE = "That code is not right. Type the six digits your app shows now (the code changes every 30 seconds).";

/**
 * Activates the pending enrolment with its first correct code; when it is the login's first
 * factor, the ten recovery codes are made in the same transaction and returned to be shown
 * once (null otherwise: a passkey came first and its codes stay). The code's step is spent,
 * and every session of the login ends (the caller renews its own).
 */
export async function confirmTotp(deps: FactorDeps, actor: Actor, code: string): Promise<Result<string[] | null>> {
  const now = deps.clock.now();
  const row = await findTotp(deps.db, actor.id);
  if (!row || row.activatedAt) return refusedAt("code", row ? "Your authenticator app is already set up." : "Start the set-up first: no enrolment is waiting for a code.");
  const step = stepOfCode(unseal(deps.dataKey, row.secretSealed, sealContext(actor.id)), code, now);
  if (step === null) {
    await appendAudit(deps.db, { ...auditedBy(actor), action: "second_factor.totp_confirm_refused", subject: `user:${actor.id}`, details: { reason: "wrong_code" } }, now);
    return refusedAt("code", WRONG_CODE);
  }
  const activated = await deps.db.transaction(async (trx) => {
    const hadFactor = await hasActiveFactor(trx, actor.id);
    if (!(await takeTotpStep(trx, actor.id, step, now, row.secretSealed))) return false;
    const codes = await codesForNewFactor(trx, actor.id, now, hadFactor);
    // Every other session ends (one opened with a stolen password among them); the route renews this one.
    await bumpSessionEpoch(trx, actor.id, now);
    await appendAudit(trx, { ...auditedBy(actor), action: "second_factor.totp_added", subject: `user:${actor.id}`, details: { recoveryCodes: codes?.length ?? 0 } }, now);
    await notify(deps, trx, actor.id, "totp_added", actor.ip);
    return { codes };
  });
  return activated ? done(activated.codes) : refusedAt("code", "The set-up changed meanwhile (started again in another window?). Reload the page and try again.");
}

const LOCKED = "Too many wrong passwords or codes: your login is locked for a while, and nothing was changed. Try again later, or ask support to unlock it.";
const WRONG_FACTOR_CODE = "That code is not right, or it was already used. Type the code your app shows now, or an unused recovery code.";

/**
 * A current code of the login's factor (an authenticator code or a recovery code, spent), asked
 * before a change to the factors. Each code is a guess like a sign-in's: counted first toward
 * the same lockout, and wrong ones lock the login as sign-in does. The problem shows at `field`.
 */
export async function proveWithFactor(deps: FactorDeps, actor: Actor, proof: FactorProof, field: string, refusedAction: string): Promise<Result<FactorMethod>> {
  const refusal = (reason: string) => ({ ...auditedBy(actor), action: refusedAction, subject: `user:${actor.id}`, details: { reason } });
  if (!(await reserveAttempt(deps, actor.id))) {
    await recordFailure(deps, actor.id, refusal("locked"));
    return refusedAt(field, LOCKED);
  }
  const method = await proof.check(actor);
  if (!method) {
    const locked = await recordFailure(deps, actor.id, refusal(proof.kind === "code" ? "wrong_code" : "wrong_passkey"));
    return refusedAt(field, locked ? LOCKED : proof.wrong);
  }
  // A right code never lifts a lock that wrong ones set meanwhile.
  if (!(await settleAttempt(deps, actor.id, "clear"))) return refusedAt(field, LOCKED);
  return done(method);
}

/** Removes the authenticator (and the recovery codes when it was the last factor), after a current code of the app or a recovery code (a session alone is not enough); every session of the login ends. */
export async function removeTotp(deps: FactorDeps, actor: Actor, code: string): Promise<Result> {
  const now = deps.clock.now();
  if (!(await hasActiveTotp(deps.db, actor.id))) return refusedAt("code", "No authenticator app is set up.");
  const proof = await proveWithFactor(deps, actor, codeProof(deps, code, actor.ip), "code", "second_factor.totp_remove_refused");
  if (!proof.ok) return proof;
  await deps.db.transaction(async (trx) => {
    await deleteTotp(trx, actor.id);
    const codes = await codesAfterRemovedFactor(trx, actor.id);
    await bumpSessionEpoch(trx, actor.id, now);
    await appendAudit(trx, { ...auditedBy(actor), action: "second_factor.totp_removed", subject: `user:${actor.id}`, details: { provedWith: proof.value, recoveryCodesRemoved: codes } }, now);
    await notify(deps, trx, actor.id, "totp_removed", actor.ip);
  });
  return done();
}

/** Ten new recovery codes in place of the old ones, after a current code; only for a login with a factor. Shown once. */
export async function regenerateRecoveryCodes(deps: FactorDeps, actor: Actor, code: string): Promise<Result<string[]>> {
  const now = deps.clock.now();
  if (!(await hasActiveFactor(deps.db, actor.id))) return refusedAt("recovery", "Recovery codes come with a second factor: set up an authenticator app or a passkey first.");
  const proof = await proveWithFactor(deps, actor, codeProof(deps, code, actor.ip), "recovery", "second_factor.recovery_codes_refused");
  if (!proof.ok) return proof;
  const codes = newRecoveryCodes();
  await deps.db.transaction(async (trx) => {
    await replaceRecoveryCodes(trx, actor.id, codes.map(hashRecoveryCode), now);
    await appendAudit(trx, { ...auditedBy(actor), action: "second_factor.recovery_codes_regenerated", subject: `user:${actor.id}`, details: { recoveryCodes: codes.length, provedWith: proof.value } }, now);
    await notify(deps, trx, actor.id, "recovery_codes_regenerated", actor.ip);
  });
  return done(codes);
}

/**
 * Checks and spends a code of the login's factor: an authenticator code (its step taken, so it
 * is never accepted again) or an unused recovery code (spent, and the holder told). Returns how
 * the login proved itself, or null.
 */
export async function spendFactorCode(deps: FactorDeps, login: { id: number; username: string }, code: string, ip: string | null): Promise<"totp" | "recovery_code" | null> {
  const now = deps.clock.now();
  if (looksLikeTotpCode(code)) return (await takeTotpCode(deps, login.id, code, now)) === null ? null : "totp";
  return deps.db.transaction(async (trx) => {
    if (!(await spendRecoveryCode(trx, login.id, hashRecoveryCode(code), now))) return null;
    const remaining = await countUnusedRecoveryCodes(trx, login.id);
    await appendAudit(trx, { actorId: login.id, actor: login.username, ip, action: "second_factor.recovery_code_used", subject: `user:${login.id}`, details: { remaining } }, now);
    await notify(deps, trx, login.id, "recovery_code_used", ip, remaining);
    return "recovery_code";
  });
}

/** The step of an accepted authenticator code, spent; null for a wrong code or one whose step (or a later one) was used. */
async function takeTotpCode(deps: FactorDeps, userId: number, code: string, now: Date): Promise<number | null> {
  const row = await findTotp(deps.db, userId);
  if (!row?.activatedAt || !looksLikeTotpCode(code)) return null;
  const step = stepOfCode(unseal(deps.dataKey, row.secretSealed, sealContext(userId)), code, now);
  return step !== null && (await takeTotpStep(deps.db, userId, step, now)) ? step : null;
}

/** Queues the notice of a factor event to the login's registered address, in the event's transaction. */
export async function notify(deps: Pick<FactorDeps, "mailer" | "clock">, trx: Knex.Transaction, userId: number, event: FactorEvent, ip: string | null, remaining?: number): Promise<void> {
  const login = await findLoginById(trx, userId);
  if (!login?.email) return;
  await enqueue(trx, await factorNoticeMail(deps.mailer, deps.clock, { ...login, email: login.email }, event, { ip, remaining }), deps.clock.now());
}
