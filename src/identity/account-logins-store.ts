import type { Knex } from "knex";
import { isPostgres, type Db } from "../shared/db.js";
import type { Role } from "../shared/roles.js";

// The queries of login rows that the accounts and tickets domains ask for: the users table is
// read and written in identity/ only. Listings that show a login's name beside rows of their own
// (the queue, a ticket's timeline, record changes, the account search) still join users where
// they are, as one join for the page costs less than one query per row.

type Conn = Db | Knex.Transaction;
type Row = Record<string, unknown>;

/** What a ticket or a record needs to know of a login: never its password hash or sign-in counters. */
export interface LoginSummary {
  id: number;
  username: string;
  displayName: string;
  email: string | null;
  role: Role;
  disabled: boolean;
}

const SUMMARY_COLUMNS = ["id", "username", "display_name", "email", "role", "disabled_at"];

const toSummary = (r: Row): LoginSummary => ({
  id: Number(r.id),
  username: r.username as string,
  displayName: r.display_name as string,
  email: (r.email as string | null) ?? null,
  role: r.role as Role,
  disabled: r.disabled_at !== null && r.disabled_at !== undefined,
});

export async function findLoginSummary(db: Conn, id: number): Promise<LoginSummary | null> {
  const row = (await db("users").select(SUMMARY_COLUMNS).where({ id }).first()) as Row | undefined;
  return row ? toSummary(row) : null;
}

/** The account's primary login, or null while it has none. */
export async function primaryLoginOf(db: Conn, accountId: number): Promise<LoginSummary | null> {
  const row = (await db("users").select(SUMMARY_COLUMNS).where({ account_id: accountId, role: "primary" }).first()) as Row | undefined;
  return row ? toSummary(row) : null;
}

export async function isLoginOfAccount(db: Conn, userId: number, accountId: number): Promise<boolean> {
  return Boolean(await db("users").where({ id: userId, account_id: accountId }).first("id"));
}

/** Whether any username ends with `.code` (any case), the ending an account of that code owns. */
export async function usernameEndingTaken(db: Conn, code: string): Promise<boolean> {
  return Boolean(await db("users").whereRaw("lower(username) like ?", [`%.${code.toLowerCase()}`]).first("id"));
}

export async function countLogins(db: Conn): Promise<number> {
  const row: unknown = await db("users").count({ n: "*" }).first();
  return Number((row as { n: number | string } | undefined)?.n ?? 0);
}

/** Locks the login's row for the rest of the transaction on PostgreSQL (SQLite has one writer), so parallel changes queue. */
export async function lockLoginRow(trx: Knex.Transaction, id: number): Promise<void> {
  if (isPostgres(trx)) await trx("users").where({ id }).forUpdate().first("id");
}

/** What an admin edits of a login; a changed email also moves its change time. */
export interface LoginDetails {
  displayName: string;
  email: string;
  canOpenCases: boolean;
  emailChanged: boolean;
}

export async function updateLoginDetails(trx: Knex.Transaction, id: number, d: LoginDetails, now: Date): Promise<void> {
  await trx("users")
    .where({ id })
    .update({ display_name: d.displayName, email: d.email, can_open_cases: d.canOpenCases, ...(d.emailChanged ? { email_changed_at: now } : {}), updated_at: now });
}

/** Disables a login and ends every session of it (sessions carry the epoch they began in), or enables it. */
export async function storeLoginDisabled(trx: Knex.Transaction, id: number, disabled: boolean, now: Date): Promise<void> {
  await trx("users")
    .where({ id })
    .update(disabled ? { disabled_at: now, session_epoch: trx.raw("session_epoch + 1"), updated_at: now } : { disabled_at: null, updated_at: now });
}

export async function storeCanOpenCases(trx: Knex.Transaction, id: number, value: boolean, now: Date): Promise<void> {
  await trx("users").where({ id }).update({ can_open_cases: value, updated_at: now });
}

/** The logins whose registered address is `email` (any case), with their account: who a mail from that address may be. */
export async function loginsWithEmail(db: Conn, email: string): Promise<(LoginSummary & { accountId: number | null })[]> {
  const rows = (await db("users").select([...SUMMARY_COLUMNS, "account_id"]).whereRaw("lower(email) = ?", [email.toLowerCase()]).orderBy("id")) as Row[];
  return rows.map((r) => ({ ...toSummary(r), accountId: r.account_id === null ? null : Number(r.account_id) }));
}
