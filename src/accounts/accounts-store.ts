import type { Knex } from "knex";
import { asDate, insertReturningId, type Db } from "../shared/db.js";
import type { AccountStatus, ContactKind } from "./vocabulary.js";

type Conn = Db | Knex.Transaction;

export interface NewAccount {
  code: string;
  name: string;
}

export async function insertAccount(trx: Conn, account: NewAccount, now: Date): Promise<number> {
  return insertReturningId(trx, "accounts", { code: account.code, name: account.name, status: "active", created_at: now, updated_at: now });
}

/** A contact before it is stored: no id yet, and its phone's change time is set on insert. */
export type NewContact = Omit<Contact, "id" | "phoneChangedAt">;

export async function insertContact(trx: Conn, contact: NewContact, now: Date): Promise<number> {
  return insertReturningId(trx, "contacts", {
      account_id: contact.accountId,
      user_id: contact.userId,
      name: contact.name,
      kind: contact.kind,
      email: contact.email,
      phone: contact.phone,
      phone_changed_at: contact.phone ? now : null,
      authorised_for_support: contact.authorisedForSupport,
      created_at: now,
      updated_at: now,
  });
}

export async function updateAccount(trx: Knex.Transaction, id: number, fields: { name?: string; status?: AccountStatus }, now: Date): Promise<void> {
  await trx("accounts").where({ id }).update({ ...fields, updated_at: now });
}

/** Stores a contact's new fields; a changed phone also moves its change time. */
export async function updateContactRow(trx: Knex.Transaction, id: number, contact: Omit<NewContact, "accountId">, phoneChanged: boolean, now: Date): Promise<void> {
  await trx("contacts")
    .where({ id })
    .update({
      name: contact.name,
      kind: contact.kind,
      email: contact.email,
      phone: contact.phone,
      authorised_for_support: contact.authorisedForSupport,
      user_id: contact.userId,
      ...(phoneChanged ? { phone_changed_at: now } : {}),
      updated_at: now,
    });
}

export async function deleteContact(trx: Knex.Transaction, id: number): Promise<void> {
  await trx("contacts").where({ id }).delete();
}

export interface Account {
  id: number;
  code: string;
  name: string;
  status: AccountStatus;
  createdAt: Date;
  primaryUsername: string | null;
}

const toAccount = (r: Record<string, unknown>): Account => ({
  id: Number(r.id),
  code: r.code as string,
  name: r.name as string,
  status: r.status as Account["status"],
  createdAt: asDate(r.created_at)!,
  primaryUsername: (r.primary_username as string | null) ?? null,
});

/** With the primary login's username: a join for the page, as a query per account would cost more than reading users here. */
function selectAccounts(db: Db) {
  return db("accounts")
    .leftJoin("users", function () {
      this.on("users.account_id", "=", "accounts.id").andOnVal("users.role", "=", "primary");
    })
    .select("accounts.*", "users.username as primary_username");
}

/** Accounts matching a search of code, name or primary login, by code; at most `limit`. */
export async function searchAccounts(db: Db, query: string, limit: number): Promise<Account[]> {
  const q = selectAccounts(db).orderBy("accounts.code").limit(limit);
  const term = query.trim().toLowerCase();
  if (term) {
    const like = `%${term.replace(/[%_\\]/g, "\\$&")}%`;
    q.where((w) =>
      w.whereRaw("lower(accounts.code) like ? escape '\\'", [like]).orWhereRaw("lower(accounts.name) like ? escape '\\'", [like]).orWhereRaw("lower(users.username) like ? escape '\\'", [like]),
    );
  }
  const rows: unknown = await q;
  return (rows as Record<string, unknown>[]).map(toAccount);
}

export async function findAccount(db: Db, id: number): Promise<Account | null> {
  const row: unknown = await selectAccounts(db).where("accounts.id", id).first();
  return row ? toAccount(row as Record<string, unknown>) : null;
}

export async function findAccountByCode(db: Db, code: string): Promise<Account | null> {
  const row: unknown = await selectAccounts(db).whereRaw("upper(accounts.code) = ?", [code.toUpperCase()]).first();
  return row ? toAccount(row as Record<string, unknown>) : null;
}

export interface Contact {
  id: number;
  accountId: number;
  userId: number | null;
  name: string;
  kind: ContactKind;
  email: string | null;
  phone: string | null;
  phoneChangedAt: Date | null;
  authorisedForSupport: boolean;
}

const toContact = (r: Record<string, unknown>): Contact => ({
  id: Number(r.id),
  accountId: Number(r.account_id),
  userId: r.user_id === null ? null : Number(r.user_id),
  name: r.name as string,
  kind: r.kind as ContactKind,
  email: (r.email as string | null) ?? null,
  phone: (r.phone as string | null) ?? null,
  phoneChangedAt: asDate(r.phone_changed_at),
  authorisedForSupport: Boolean(r.authorised_for_support),
});

export async function contactsOfAccount(db: Conn, accountId: number): Promise<Contact[]> {
  const rows: unknown = await db("contacts").where({ account_id: accountId }).orderBy([{ column: "kind" }, { column: "name" }]);
  return (rows as Record<string, unknown>[]).map(toContact);
}

export async function findContact(db: Db, id: number): Promise<Contact | null> {
  const row: unknown = await db("contacts").where({ id }).first();
  return row ? toContact(row as Record<string, unknown>) : null;
}
