import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import { appendAudit } from "../../platform/audit/audit-log.js";
import { auditedBy, type Actor } from "../../shared/actor.js";
import { minutes } from "../../shared/clock.js";
import { done, NOT_THERE, Refusal, refusedAt, type Result } from "../../shared/problems.js";
import { bumpSessionEpoch } from "../users-store.js";
import { deletePasskey, findPasskeyByCredential, insertPasskey, recordPasskeyUse, storedPasskeysOf, type StoredPasskey } from "./passkeys-store.js";
import { codesAfterRemovedFactor, codesForNewFactor, hasActiveFactor, notify, type FactorDeps, type FactorProof } from "./second-factors.js";

/** Who the passkeys belong to, from BASE_URL: the RP ID is its host name (no port), the origin its scheme, host and port. */
export interface RelyingParty {
  id: string;
  origin: string;
  name: string;
}

export function relyingPartyOf(baseUrl: string): RelyingParty {
  const url = new URL(baseUrl);
  return { id: url.hostname, origin: url.origin, name: "Vouchdesk" };
}

export interface PasskeyDeps extends FactorDeps {
  relyingParty: RelyingParty;
}

/** How long the browser waits for the authenticator: the challenge lives as long (in the session). */
export const PASSKEY_CEREMONY_MS = minutes(5);

/** What the browser returned from `navigator.credentials.get`, with the challenge this session issued for it. */
export interface PasskeyAssertion {
  response: AuthenticationResponseJSON;
  challenge: string;
  ip: string | null;
}

const NOT_VERIFIED = "The passkey could not be checked (it did not answer this desk's request, or the answer was damaged). Nothing was changed. Try again.";
const ALREADY_REGISTERED = "That passkey is registered already.";
export const PASSKEY_REFUSED = "That passkey was not accepted. Try again with a passkey of this login, or type a code.";

/**
 * Options for registering a passkey of the signed-in login: a discoverable credential (so it
 * can sign in alone) with user verification (a PIN or a fingerprint), never one it has already.
 */
export async function registrationOptions(deps: PasskeyDeps, actor: Actor): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await storedPasskeysOf(deps.db, actor.id);
  return generateRegistrationOptions({
    rpName: deps.relyingParty.name,
    rpID: deps.relyingParty.id,
    userName: actor.username,
    userDisplayName: actor.displayName,
    timeout: PASSKEY_CEREMONY_MS,
    attestationType: "none",
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
  });
}

/**
 * Verifies a registration against the challenge this session issued and stores the passkey under
 * the holder's name for it. The first factor of the login brings the ten recovery codes
 * (returned, shown once); every session of the login ends (the caller renews its own), and the
 * holder is told by mail.
 */
export async function addPasskey(deps: PasskeyDeps, actor: Actor, name: string, response: RegistrationResponseJSON, challenge: string): Promise<Result<{ recoveryCodes: string[] | null }>> {
  const now = deps.clock.now();
  const verified = await verifyRegistrationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: deps.relyingParty.origin,
    expectedRPID: deps.relyingParty.id,
    requireUserVerification: true,
  }).catch(() => null);
  if (!verified?.verified) {
    await appendAudit(deps.db, { ...auditedBy(actor), action: "second_factor.passkey_add_refused", subject: `user:${actor.id}`, details: { reason: "not_verified" } }, now);
    return refusedAt("passkey", NOT_VERIFIED);
  }
  const { credential, credentialDeviceType, credentialBackedUp } = verified.registrationInfo;
  const added = await deps.db.transaction(async (trx) => {
    const hadFactor = await hasActiveFactor(trx, actor.id);
    const stored = await insertPasskey(
      trx,
      {
        userId: actor.id,
        credentialId: credential.id,
        publicKey: isoBase64URL.fromBuffer(credential.publicKey),
        signCount: credential.counter,
        transports: credential.transports ?? [],
        name,
        deviceType: credentialDeviceType,
        backedUp: credentialBackedUp,
      },
      now,
    );
    if (!stored) return null;
    const recoveryCodes = await codesForNewFactor(trx, actor.id, now, hadFactor);
    await bumpSessionEpoch(trx, actor.id, now);
    const details = { name, deviceType: credentialDeviceType, backedUp: credentialBackedUp, recoveryCodes: recoveryCodes?.length ?? 0 };
    await appendAudit(trx, { ...auditedBy(actor), action: "second_factor.passkey_added", subject: `user:${actor.id}`, details }, now);
    await notify(deps, trx, actor.id, "passkey_added", actor.ip);
    return { recoveryCodes };
  });
  return added ? done(added) : refusedAt("passkey", ALREADY_REGISTERED);
}

/**
 * Removes one of the signed-in login's passkeys (another login's is not there for it); the
 * recovery codes go with the last factor. Every session of the login ends; the holder is told.
 * Returns whether the login still has a factor.
 */
export async function removePasskey(deps: PasskeyDeps, actor: Actor, passkeyId: number): Promise<{ factorLeft: boolean }> {
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    if (!(await deletePasskey(trx, actor.id, passkeyId))) throw new Refusal("missing", NOT_THERE);
    const codes = await codesAfterRemovedFactor(trx, actor.id);
    await bumpSessionEpoch(trx, actor.id, now);
    await appendAudit(trx, { ...auditedBy(actor), action: "second_factor.passkey_removed", subject: `user:${actor.id}`, details: { passkey: passkeyId, recoveryCodesRemoved: codes } }, now);
    await notify(deps, trx, actor.id, "passkey_removed", actor.ip);
    return { factorLeft: await hasActiveFactor(trx, actor.id) };
  });
}

/**
 * Options for proving a passkey: of one login (a second step, a step-up: its passkeys are
 * offered, user verification preferred, as the password or the session is the other factor),
 * or of anyone (sign-in alone: a discoverable credential with user verification required).
 */
export async function assertionOptions(deps: PasskeyDeps, userId: number | null): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const allowCredentials = userId === null ? undefined : (await storedPasskeysOf(deps.db, userId)).map((p) => ({ id: p.credentialId, transports: p.transports }));
  return generateAuthenticationOptions({ rpID: deps.relyingParty.id, allowCredentials, timeout: PASSKEY_CEREMONY_MS, userVerification: userId === null ? "required" : "preferred" });
}

/** The library's refusal of an assertion whose counter did not move on: a sign of a cloned authenticator. */
const COUNTER_WENT_BACK = /counter value \d+ was lower than expected/i;

/**
 * Checks an assertion: the passkey it names (only among `userId`'s when given), its signature
 * over this session's challenge, this desk's origin and RP ID, user verification when required,
 * and a counter that moved on (when the authenticator keeps one). The new counter and the time are
 * stored. Returns the passkey, or null.
 */
export async function verifyAssertion(deps: PasskeyDeps, assertion: PasskeyAssertion, options: { userId?: number; requireUserVerification: boolean }): Promise<StoredPasskey | null> {
  const now = deps.clock.now();
  const passkey = await findPasskeyByCredential(deps.db, assertion.response.id, options.userId);
  if (!passkey) return null;
  try {
    const { verified, authenticationInfo } = await verifyAuthenticationResponse({
      response: assertion.response,
      expectedChallenge: assertion.challenge,
      expectedOrigin: deps.relyingParty.origin,
      expectedRPID: deps.relyingParty.id,
      credential: { id: passkey.credentialId, publicKey: isoBase64URL.toBuffer(passkey.publicKey), counter: passkey.signCount, transports: passkey.transports },
      requireUserVerification: options.requireUserVerification,
    });
    if (!verified) return null;
    const use = { signCount: authenticationInfo.newCounter, backedUp: authenticationInfo.credentialBackedUp };
    return (await recordPasskeyUse(deps.db, passkey, use, now)) ? passkey : null;
  } catch (err) {
    if (err instanceof Error && COUNTER_WENT_BACK.test(err.message)) {
      const entry = { actorId: passkey.userId, actor: null, ip: assertion.ip, action: "second_factor.passkey_counter_refused", subject: `user:${passkey.userId}`, details: { passkey: passkey.id, name: passkey.name } };
      await appendAudit(deps.db, entry, now);
    }
    return null;
  }
}

/** A passkey of the login as the proof of its second factor (a second step, a step-up). */
export const passkeyProof = (deps: PasskeyDeps, assertion: PasskeyAssertion): FactorProof => ({
  kind: "passkey",
  check: async (login) => ((await verifyAssertion(deps, assertion, { userId: login.id, requireUserVerification: false })) ? "passkey" : null),
  wrong: PASSKEY_REFUSED,
});
