import { appendAudit } from "../audit/audit-log.js";
import type { Problems } from "../web/validation.js";
import { prepareSetPasswordLink, recordSetPasswordLink, type Actor, type LinkDeps } from "./password-links.js";
import { isPrimaryUsername } from "./usernames.js";
import { findLoginByUsername, insertLogin, type Login, type Role } from "./users-store.js";

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
  const staff = input.role === "agent" || input.role === "admin";
  if (staff !== (input.accountId === null)) problems.role = staff ? "Agents and admins belong to no account." : "Customer logins belong to an account.";
  if (input.role === "primary") {
    if (!isPrimaryUsername(input.username)) problems.username = "A primary login's username is 3 letters and 4 digits, like ACM0001.";
    const primary: unknown = await deps.db("users").where({ account_id: input.accountId, role: "primary" }).first("id");
    if (primary) problems.role = "This account already has its primary login.";
  } else if (isPrimaryUsername(input.username)) {
    problems.username = "Usernames of 3 letters and 4 digits are kept for primary logins.";
  }
  if (!problems.username && (await findLoginByUsername(deps.db, input.username))) problems.username = "That username is taken.";
  return problems;
}

/**
 * Creates a login with no password and mails it a single-use link to choose one, in one
 * transaction. Returns the new id, or the problems by field.
 */
export async function createLogin(deps: LinkDeps, input: NewLoginInput, actor: Actor): Promise<{ id: number } | { problems: Problems }> {
  const problems = await loginProblems(deps, input);
  if (Object.keys(problems).length) return { problems };
  const link = await prepareSetPasswordLink(deps, { username: input.username, displayName: input.displayName, email: input.email }, "new", actor);
  const now = deps.clock.now();
  const id = await deps.db.transaction(async (trx) => {
    const id = await insertLogin(trx, { ...input, passwordHash: null }, now);
    await appendAudit(trx, { action: "login.created", actorId: actor.id, actor: actor.username, ip: actor.ip, subject: `user:${id}`, details: { ...input } }, now);
    await recordSetPasswordLink(trx, link, id, actor, now);
    return id;
  });
  return { id };
}

/** A holder-started or admin-started reset: the old password stops working and a link is mailed. */
export async function resetLoginPassword(deps: LinkDeps, login: Login, actor: Actor): Promise<boolean> {
  if (!login.email) return false;
  const link = await prepareSetPasswordLink(deps, { id: login.id, username: login.username, displayName: login.displayName, email: login.email }, "reset", actor);
  const now = deps.clock.now();
  await deps.db.transaction((trx) => recordSetPasswordLink(trx, link, login.id, actor, now));
  return true;
}

/** Disables (ending every session) or enables a login. */
export async function setLoginDisabled(deps: LinkDeps, login: Login, disabled: boolean, actor: Actor): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    await trx("users")
      .where({ id: login.id })
      .update(disabled ? { disabled_at: now, session_epoch: trx.raw("session_epoch + 1"), updated_at: now } : { disabled_at: null, updated_at: now });
    await appendAudit(trx, { action: disabled ? "login.disabled" : "login.enabled", actorId: actor.id, actor: actor.username, ip: actor.ip, subject: `user:${login.id}`, details: { username: login.username } }, now);
  });
}

/** Marks a secondary login authorised (or not) to open support cases, a primary reset request among them. */
export async function setCanOpenCases(deps: LinkDeps, login: Login, value: boolean, actor: Actor): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    await trx("users").where({ id: login.id }).update({ can_open_cases: value, updated_at: now });
    await appendAudit(trx, { action: "login.cases_authorisation", actorId: actor.id, actor: actor.username, ip: actor.ip, subject: `user:${login.id}`, details: { username: login.username, before: login.canOpenCases, after: value } }, now);
  });
}
