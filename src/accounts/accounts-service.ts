import { appendAudit } from "../platform/audit/audit-log.js";
import type { MailingDeps } from "../platform/mail/mailer.js";
import { done, refused, type Result } from "../shared/problems.js";
import { deleteContact, findAccountByCode, findContact, insertAccount, insertContact, updateAccount, updateContactRow, type Account, type Contact } from "./accounts-store.js";
import type { Actor } from "../shared/actor.js";
import { accountRecipients, loginRecipients, noteRecordChange } from "./record-change-service.js";
import { findLoginById, isLoginOfAccount, lockLoginRow, unconfirmStaff, updateLoginDetails, usernameEndingTaken, type Login } from "../identity/index.js";
import type { AccountStatus, ContactKind } from "./vocabulary.js";

type Deps = MailingDeps;

const audit = (actor: Actor) => ({ actorId: actor.id, actor: actor.username, ip: actor.ip });

/** Opens a customer account; its value is the new account's id. */
export async function createAccount(deps: Deps, input: { code: string; name: string }, actor: Actor): Promise<Result<number>> {
  const code = input.code.toUpperCase();
  if (await findAccountByCode(deps.db, code)) return refused({ code: `An account with the code ${code} exists already.` });
  // Usernames ending in .xyz are XYZ's own (usernames.ts): none may exist outside it before it does.
  if (await usernameEndingTaken(deps.db, code)) return refused({ code: `Logins ending in .${code.toLowerCase()} exist already: choose another code.` });
  const now = deps.clock.now();
  const id = await deps.db.transaction(async (trx) => {
    const id = await insertAccount(trx, { code, name: input.name }, now);
    await appendAudit(trx, { ...audit(actor), action: "account.created", subject: `account:${id}`, details: { code, name: input.name } }, now);
    return id;
  });
  return done(id);
}

export async function renameAccount(deps: Deps, account: Account, name: string, actor: Actor): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    await updateAccount(trx, account.id, { name }, now);
    await appendAudit(trx, { ...audit(actor), action: "account.renamed", subject: `account:${account.id}`, details: { before: account.name, after: name } }, now);
  });
}

/** Suspending an account ends the sessions of all its logins (they are checked on every request). */
export async function setAccountStatus(deps: Deps, account: Account, status: AccountStatus, actor: Actor): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    await updateAccount(trx, account.id, { status }, now);
    await appendAudit(trx, { ...audit(actor), action: status === "suspended" ? "account.suspended" : "account.reactivated", subject: `account:${account.id}`, details: { code: account.code } }, now);
  });
}

export interface LoginChanges {
  displayName: string;
  email: string;
  canOpenCases: boolean;
}

/**
 * Edits a login's name, registered address and case authorisation. A new address is a record
 * change: the old address (and the account's records) are told, with a way to object.
 */
export async function updateLogin(deps: Deps, read: Login, changes: LoginChanges, actor: Actor): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    // The login as it is now, not as the route read it: a change in between is a change too.
    await lockLoginRow(trx, read.id);
    const login = (await findLoginById(trx, read.id)) ?? read;
    const emailChanged = (login.email ?? "").toLowerCase() !== changes.email.toLowerCase();
    const canOpenCases = login.role === "secondary" ? changes.canOpenCases : login.canOpenCases;
    if (emailChanged) {
      const change = { accountId: login.accountId, what: "email" as const, userId: login.id, contactId: null, subjectName: login.username, before: login.email, after: changes.email };
      await noteRecordChange(trx, deps, change, await loginRecipients(trx, login), actor, now);
      await unconfirmStaff(trx, login, actor, "email_changed", now);
    }
    await updateLoginDetails(trx, login.id, { displayName: changes.displayName, email: changes.email, canOpenCases, emailChanged }, now);
    await appendAudit(
      trx,
      {
        ...audit(actor),
        action: "login.updated",
        subject: `user:${login.id}`,
        details: {
          username: login.username,
          before: { displayName: login.displayName, email: login.email, canOpenCases: login.canOpenCases },
          after: { displayName: changes.displayName, email: changes.email, canOpenCases },
        },
      },
      now,
    );
  });
}

export interface ContactInput {
  name: string;
  kind: ContactKind;
  email: string | null;
  phone: string | null;
  authorisedForSupport: boolean;
  userId: number | null;
}

/** A contact's login link must be a login of the same account. */
const loginLinkRefused = async (deps: Deps, accountId: number, input: ContactInput) => input.userId !== null && !(await isLoginOfAccount(deps.db, input.userId, accountId));
const LOGIN_LINK_PROBLEMS = { user_id: "Choose a login of this account, or none." };

export async function addContact(deps: Deps, accountId: number, input: ContactInput, actor: Actor): Promise<Result> {
  if (await loginLinkRefused(deps, accountId, input)) return refused(LOGIN_LINK_PROBLEMS);
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    const recipients = await accountRecipients(trx, accountId);
    const id = await insertContact(trx, { accountId, ...input }, now);
    await appendAudit(trx, { ...audit(actor), action: "contact.added", subject: `contact:${id}`, details: { accountId, ...input } }, now);
    // A new number on file is a new number support may call back: a record change like any other.
    if (input.phone) await noteRecordChange(trx, deps, { accountId, what: "phone", userId: null, contactId: id, subjectName: input.name, before: null, after: input.phone }, recipients, actor, now);
  });
  return done();
}

export async function updateContact(deps: Deps, contact: Contact, input: ContactInput, actor: Actor): Promise<Result> {
  if (await loginLinkRefused(deps, contact.accountId, input)) return refused(LOGIN_LINK_PROBLEMS);
  const now = deps.clock.now();
  const phoneChanged = contact.phone !== input.phone;
  const emailChanged = (contact.email ?? "").toLowerCase() !== (input.email ?? "").toLowerCase();
  await deps.db.transaction(async (trx) => {
    // Read before the change, so the contact's old address hears of it.
    const recipients = await accountRecipients(trx, contact.accountId);
    const base = { accountId: contact.accountId, userId: null, contactId: contact.id, subjectName: contact.name };
    if (phoneChanged) await noteRecordChange(trx, deps, { ...base, what: "phone", before: contact.phone, after: input.phone }, recipients, actor, now);
    if (emailChanged) await noteRecordChange(trx, deps, { ...base, what: "contact_email", before: contact.email, after: input.email }, recipients, actor, now);
    // Who is authorised, and as which login, decides who may file a reset and who is called back.
    const standing = (c: Pick<ContactInput, "kind" | "authorisedForSupport" | "userId">) => `${c.kind}, ${c.authorisedForSupport ? "authorised" : "not authorised"} for support, login ${c.userId ?? "none"}`;
    if (standing(contact) !== standing(input)) await noteRecordChange(trx, deps, { ...base, what: "contact_standing", before: standing(contact), after: standing(input) }, recipients, actor, now);
    await updateContactRow(trx, contact.id, input, phoneChanged, now);
    const before = { name: contact.name, kind: contact.kind, email: contact.email, phone: contact.phone, authorisedForSupport: contact.authorisedForSupport, userId: contact.userId };
    await appendAudit(trx, { ...audit(actor), action: "contact.updated", subject: `contact:${contact.id}`, details: { accountId: contact.accountId, before, after: input } }, now);
  });
  return done();
}

export async function removeContact(deps: Deps, contactId: number, actor: Actor): Promise<boolean> {
  const contact = await findContact(deps.db, contactId);
  if (!contact) return false;
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    // Read before the removal, so the removed contact hears of it too.
    const recipients = await accountRecipients(trx, contact.accountId);
    const removed = { accountId: contact.accountId, what: "contact_removed" as const, userId: null, contactId, subjectName: contact.name, before: contact.phone ?? contact.email, after: null };
    await noteRecordChange(trx, deps, removed, recipients, actor, now);
    await deleteContact(trx, contactId);
    await appendAudit(trx, { ...audit(actor), action: "contact.removed", subject: `contact:${contactId}`, details: { accountId: contact.accountId, name: contact.name, phone: contact.phone } }, now);
  });
  return true;
}
