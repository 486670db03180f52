import type { Knex } from "knex";
import type { Db } from "../db.js";

export interface NewAccount {
  code: string;
  name: string;
}

export async function insertAccount(trx: Db | Knex.Transaction, account: NewAccount, now: Date): Promise<number> {
  const [row] = (await trx("accounts")
    .insert({ code: account.code, name: account.name, status: "active", created_at: now, updated_at: now })
    .returning("id")) as { id: number }[];
  return Number(row!.id);
}

export interface NewContact {
  accountId: number;
  userId: number | null;
  name: string;
  kind: "primary" | "secondary";
  email: string | null;
  phone: string | null;
  authorisedForSupport: boolean;
}

export async function insertContact(trx: Db | Knex.Transaction, contact: NewContact, now: Date): Promise<number> {
  const [row] = (await trx("contacts")
    .insert({
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
    })
    .returning("id")) as { id: number }[];
  return Number(row!.id);
}

export async function countLogins(db: Db): Promise<number> {
  const row = (await db("users").count({ n: "*" }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}
