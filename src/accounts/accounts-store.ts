import type { Knex } from "knex";
import { insertReturningId, type Db } from "../db.js";

export interface NewAccount {
  code: string;
  name: string;
}

export async function insertAccount(trx: Db | Knex.Transaction, account: NewAccount, now: Date): Promise<number> {
  return insertReturningId(trx, "accounts", { code: account.code, name: account.name, status: "active", created_at: now, updated_at: now });
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

export async function countLogins(db: Db): Promise<number> {
  const row: unknown = await db("users").count({ n: "*" }).first();
  return Number((row as { n: number | string } | undefined)?.n ?? 0);
}
