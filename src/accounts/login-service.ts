import type { Knex } from "knex";
import { appendAudit } from "../platform/audit/audit-log.js";
import type { Db } from "../shared/db.js";
import { loginUnlockedMail } from "../platform/mail/mailer.js";
import { enqueue } from "../platform/mail/outbox-store.js";
import { done, refused, type Problems, type Result } from "../shared/problems.js";
import type { Actor } from "../shared/actor.js";
import {
  findLoginById,
  findLoginByUsername,
  isPrimaryUsername,
  liftLockout,
  type LinkDeps,
  type Login,
  namespaceOf,
  noticeStaffCreated,
  prepareSetPasswordLink,
  primaryLoginOf,
  recordSetPasswordLink,
  registerLogin,
  storeCanOpenCases,
  storeLoginDisabled,
  unconfirmStaff,
} from "../identity/index.js";
import { RECENT_CHANGE_MS, type LinkStarter } from "./vocabulary.js";
import { emailChangesBearingOn, hasOpenChangeObjection } from "./record-changes-store.js";
import { findAccountByCode } from "./accounts-store.js";
import { formatUtcDay } from "../shared/formatting.js";
import { isStaff, type Role } from "../shared/roles.js";

export interface NewLoginInput {
  accountId: number | null;
  role: Role;
  username: string;
  displayName: string;
  email: string;
  canOpenCases: boolean;
}

/** The rules a new login's username and role must meet together (DESIGN §1). */
async function loginProblems(deps: LinkDeps, input: NewLoginInput): Promise<Problems> {
  const problems: Problems = {};
  const staff = isStaff(input.role);
  if (staff !== (input.accountId === null)) problems.role = staff ? "Agents and admins belong to no account." : "Customer logins belong to an account.";
  if (input.role === "primary") {
    if (!isPrimaryUsername(input.username)) problems.username = "A primary login's username is 3 letters and 4 digits, like ACM0001.";
    if (input.accountId !== null && (await primaryLoginOf(deps.db, input.accountId))) problems.role = "This account already has its primary login.";
  } else if (isPrimaryUsername(input.username)) {
    problems.username = "Usernames of 3 letters and 4 digits are kept for primary logins.";
  }
  const namespace = problems.username ? null : await namespaceProblem(deps, input);
  if (namespace) problems.username = namespace;
  if (!problems.username && (await findLoginByUsername(deps.db, input.username))) problems.username = "That username is taken.";
  return problems;
}

/** Names ending `.acm` are kept for ACM's own logins ({@link scopedUsername}), and must fit the column. */
async function namespaceProblem(deps: LinkDeps, input: NewLoginInput): Promise<string | null> {
  if (input.username.length > 64) return "Usernames are at most 64 characters, with the account's ending.";
  const code = namespaceOf(input.username);
  const owner = code ? await findAccountByCode(deps.db, code) : null;
  if (owner && owner.id !== input.accountId) return `Usernames ending in .${code!.toLowerCase()} are kept for the logins of account ${code}.`;
  return null;
}

/**
 * Creates a login with no password and mails it a single-use link to choose one, in one
 * transaction. Its value is the new login's id.
 */
export async function createLogin(deps: LinkDeps, input: NewLoginInput, actor: Actor): Promise<Result<number>> {
  const problems = await loginProblems(deps, input);
  if (Object.keys(problems).length) return refused(problems);
  const link = await prepareSetPasswordLink(deps, { username: input.username, displayName: input.displayName, email: input.email }, "new", actor);
  const now = deps.clock.now();
  const id = await deps.db.transaction(async (trx) => {
    const id = await registerLogin(trx, { ...input, passwordHash: null, createdBy: actor.id }, now);
    await appendAudit(trx, { action: "login.created", actorId: actor.id, actor: actor.username, ip: actor.ip, subject: `user:${id}`, details: { ...input } }, now);
    if (input.accountId === null) await noticeStaffCreated(trx, deps, { id, ...input }, actor, now);
    await recordSetPasswordLink(trx, link, id, actor, now);
    return id;
  });
  return done(id);
}

/**
 * Why a set-password link for the login may not be sent now; null when it may. The desk never
 * sets a customer's password once it has had one (a primary's goes through a reset request, a
 * secondary's through its holder). A link never goes to an address someone objected to having
 * been set, nor, within the recent-change window, to one the sender set themselves: then a
 * second admin sends it, so that nobody can both point a login at an address and mail it a way in.
 */
export async function setPasswordLinkRefusal(db: Db | Knex.Transaction, login: Login, actor: Actor, by: LinkStarter, now: Date): Promise<string | null> {
  if (by === "desk" && login.activatedAt && login.role === "secondary") return "A secondary login that has had a password is reset by its primary holder, never by support.";
  if (by === "desk" && login.activatedAt && login.role === "primary") return "A primary login that has had a password is reset only through a primary account password reset request.";
  if (!login.email) return `${login.username} has no registered email address.`;
  const emailChanges = await emailChangesBearingOn(db, login.id, new Date(now.getTime() - RECENT_CHANGE_MS));
  const objected = emailChanges.find(hasOpenChangeObjection);
  if (objected) return `Someone objected to the change of ${login.username}'s registered address on ${formatUtcDay(objected.createdAt)}: no link is sent until an admin has reviewed it.`;
  const own = emailChanges.find((c) => c.changedBy === actor.id && c.createdAt.getTime() > now.getTime() - RECENT_CHANGE_MS);
  if (own) return `You changed ${login.username}'s registered address on ${formatUtcDay(own.createdAt)}: another admin must send the link (or you, after ${formatUtcDay(new Date(own.createdAt.getTime() + RECENT_CHANGE_MS))}).`;
  return null;
}

/**
 * A holder-started or admin-started reset: the old password stops working and a link is
 * mailed, unless {@link setPasswordLinkRefusal} refuses it (checked again in the transaction,
 * on the login as it is then). Refused with the reason as the problem of `link`.
 */
export async function resetLoginPassword(deps: LinkDeps, login: Login, actor: Actor, by: LinkStarter): Promise<Result> {
  const now = deps.clock.now();
  const refusal = await setPasswordLinkRefusal(deps.db, login, actor, by, now);
  if (refusal) return refused({ link: refusal });
  const link = await prepareSetPasswordLink(deps, { id: login.id, username: login.username, displayName: login.displayName, email: login.email! }, "reset", actor);
  return deps.db.transaction(async (trx) => {
    const current = await findLoginById(trx, login.id);
    if (!current || current.email !== login.email) return refused({ link: "The login's registered address changed a moment ago: look again before sending a link." });
    const refusedNow = await setPasswordLinkRefusal(trx, current, actor, by, now);
    if (refusedNow) return refused({ link: refusedNow });
    await recordSetPasswordLink(trx, link, login.id, actor, now);
    if (by === "desk") await unconfirmStaff(trx, current, actor, "link_sent", now);
    return done();
  });
}

/**
 * An admin lifts a lockout before it runs out: the lock and the count of failed sign-ins are
 * cleared, audited with what they were, and the login's address is told (an unlock it did not
 * ask for is worth knowing of). False, with nothing written, when there is nothing to clear.
 */
export async function unlockLogin(deps: LinkDeps, login: Login, actor: Actor): Promise<boolean> {
  const now = deps.clock.now();
  const locked = login.lockedUntil !== null && login.lockedUntil > now;
  if (!locked && login.failedSignIns === 0) return false;
  await deps.db.transaction(async (trx) => {
    await liftLockout(trx, login.id, now);
    const details = { username: login.username, lockedUntil: locked ? login.lockedUntil!.toISOString() : null, failedSignIns: login.failedSignIns };
    await appendAudit(trx, { action: "login.unlocked", actorId: actor.id, actor: actor.username, ip: actor.ip, subject: `user:${login.id}`, details }, now);
    if (login.email) await enqueue(trx, await loginUnlockedMail(deps.mailer, deps.clock, { ...login, email: login.email }, { by: actor.username, failedSignIns: login.failedSignIns }), now);
  });
  return true;
}

/** Disables (ending every session) or enables a login. */
export async function setLoginDisabled(deps: LinkDeps, login: Login, disabled: boolean, actor: Actor): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    await storeLoginDisabled(trx, login.id, disabled, now);
    await appendAudit(trx, { action: disabled ? "login.disabled" : "login.enabled", actorId: actor.id, actor: actor.username, ip: actor.ip, subject: `user:${login.id}`, details: { username: login.username } }, now);
  });
}

/** Marks a secondary login authorised (or not) to open support cases, a primary reset request among them. */
export async function setCanOpenCases(deps: LinkDeps, login: Login, value: boolean, actor: Actor): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    await storeCanOpenCases(trx, login.id, value, now);
    await appendAudit(trx, { action: "login.cases_authorisation", actorId: actor.id, actor: actor.username, ip: actor.ip, subject: `user:${login.id}`, details: { username: login.username, before: login.canOpenCases, after: value } }, now);
  });
}
