import { appendAudit } from "../platform/audit/audit-log.js";
import { isPostgres } from "../shared/db.js";
import type { MailingDeps } from "../platform/mail/mailer.js";
import type { Problems } from "../shared/problems.js";
import { findAccountByCode, findContact, insertAccount, insertContact, type Account, type Contact } from "./accounts-store.js";
import type { Actor } from "../shared/actor.js";
import { accountRecipients, loginRecipients, noteRecordChange } from "./record-changes.js";
import { findLoginById, unconfirmStaff, type Login } from "../identity/index.js";

type Deps = MailingDeps;

const audit = (actor: Actor) => ({ actorId: actor.id, actor: actor.username, ip: actor.ip });

/** A phone number in international form, stored as E.164 (+ and 8–15 digits), or null if it is not one. */
export function normalisePhone(input: string): string | null {
  const compact = input.trim().replace(/[\s().-]/g, "").replace(/^00/, "+");
  return /^\+[1-9]\d{7,14}$/.test(compact) ? compact : null;
}

export async function createAccount(deps: Deps, input: { code: string; name: string }, actor: Actor): Promise<{ id: number } | { problems: Problems }> {
  const code = input.code.toUpperCase();
  if (await findAccountByCode(deps.db, code)) return { problems: { code: `An account with the code ${code} exists already.` } };
  // Usernames ending in .xyz are XYZ's own (usernames.ts): none may exist outside it before it does.
  const squatter: unknown = await deps.db("users").whereRaw("lower(username) like ?", [`%.${code.toLowerCase()}`]).first("id");
  if (squatter) return { problems: { code: `Logins ending in .${code.toLowerCase()} exist already: choose another code.` } };
  const now = deps.clock.now();
  const id = await deps.db.transaction(async (trx) => {
    const id = await insertAccount(trx, { code, name: input.name }, now);
    await appendAudit(trx, { ...audit(actor), action: "account.created", subject: `account:${id}`, details: { code, name: input.name } }, now);
    return id;
  });
  return { id };
}

export async function renameAccount(deps: Deps, account: Account, name: string, actor: Actor): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    await trx("accounts").where({ id: account.id }).update({ name, updated_at: now });
    await appendAudit(trx, { ...audit(actor), action: "account.renamed", subject: `account:${account.id}`, details: { before: account.name, after: name } }, now);
  });
}

/** Suspending an account ends the sessions of all its logins (they are checked on every request). */
export async function setAccountStatus(deps: Deps, account: Account, status: Account["status"], actor: Actor): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    await trx("accounts").where({ id: account.id }).update({ status, updated_at: now });
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
    if (isPostgres(trx)) await trx("users").where({ id: read.id }).forUpdate().first("id");
    const login = (await findLoginById(trx, read.id)) ?? read;
    const emailChanged = (login.email ?? "").toLowerCase() !== changes.email.toLowerCase();
    const canOpenCases = login.role === "secondary" ? changes.canOpenCases : login.canOpenCases;
    if (emailChanged) {
      const change = { accountId: login.accountId, what: "email" as const, userId: login.id, contactId: null, subjectName: login.username, before: login.email, after: changes.email };
      await noteRecordChange(trx, deps, change, await loginRecipients(trx, login), actor, now);
      await unconfirmStaff(trx, login, actor, "email_changed", now);
    }
    await trx("users")
      .where({ id: login.id })
      .update({ display_name: changes.displayName, email: changes.email, can_open_cases: canOpenCases, ...(emailChanged ? { email_changed_at: now } : {}), updated_at: now });
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
  kind: Contact["kind"];
  email: string | null;
  phone: string | null;
  authorisedForSupport: boolean;
  userId: number | null;
}

/** A contact's login link must be a login of the same account. */
async function contactProblems(deps: Deps, accountId: number, input: ContactInput): Promise<Problems> {
  if (input.userId === null) return {};
  const owner: unknown = await deps.db("users").where({ id: input.userId, account_id: accountId }).first("id");
  return owner ? {} : { user_id: "Choose a login of this account, or none." };
}

export async function addContact(deps: Deps, accountId: number, input: ContactInput, actor: Actor): Promise<Problems> {
  const problems = await contactProblems(deps, accountId, input);
  if (Object.keys(problems).length) return problems;
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    const recipients = await accountRecipients(trx, accountId);
    const id = await insertContact(trx, { accountId, ...input }, now);
    await appendAudit(trx, { ...audit(actor), action: "contact.added", subject: `contact:${id}`, details: { accountId, ...input } }, now);
    // A new number on file is a new number support may call back: a record change like any other.
    if (input.phone) await noteRecordChange(trx, deps, { accountId, what: "phone", userId: null, contactId: id, subjectName: input.name, before: null, after: input.phone }, recipients, actor, now);
  });
  return {};
}

export async function updateContact(deps: Deps, contact: Contact, input: ContactInput, actor: Actor): Promise<Problems> {
  const problems = await contactProblems(deps, contact.accountId, input);
  if (Object.keys(problems).length) return problems;
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
    await trx("contacts")
      .where({ id: contact.id })
      .update({
        name: input.name,
        kind: input.kind,
        email: input.email,
        phone: input.phone,
        authorised_for_support: input.authorisedForSupport,
        user_id: input.userId,
        ...(phoneChanged ? { phone_changed_at: now } : {}),
        updated_at: now,
      });
    const before = { name: contact.name, kind: contact.kind, email: contact.email, phone: contact.phone, authorisedForSupport: contact.authorisedForSupport, userId: contact.userId };
    await appendAudit(trx, { ...audit(actor), action: "contact.updated", subject: `contact:${contact.id}`, details: { accountId: contact.accountId, before, after: input } }, now);
  });
  return {};
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
    await trx("contacts").where({ id: contactId }).delete();
    await appendAudit(trx, { ...audit(actor), action: "contact.removed", subject: `contact:${contactId}`, details: { accountId: contact.accountId, name: contact.name, phone: contact.phone } }, now);
  });
  return true;
}
