import type { Knex } from "knex";
import { asDate, insertReturningId, type Db } from "../shared/db.js";
import { STAFF_ROLES, type Role } from "../shared/roles.js";

/** A login as sign-in and the guards see it, with its account's status alongside. */
export interface Login {
  id: number;
  accountId: number | null;
  accountStatus: string | null;
  username: string;
  role: Role;
  displayName: string;
  email: string | null;
  passwordHash: string | null;
  /** When the login first got a password; null while it never had one. */
  activatedAt: Date | null;
  mustChangePassword: boolean;
  tempPasswordExpiresAt: Date | null;
  failedSignIns: number;
  lockedUntil: Date | null;
  sessionEpoch: number;
  canOpenCases: boolean;
  disabledAt: Date | null;
  /** The admin who created it in the console; null for the CLI, the demo data and older rows. */
  createdBy: number | null;
  /** A staff login takes part in reset decisions only once a second admin confirmed it (issue 10 review 1a). */
  confirmedAt: Date | null;
  confirmedBy: number | null;
  /** Who last made it need confirming (its creator, or who changed its email or sent it a link): never its confirmer. */
  unconfirmedBy: number | null;
  /** The IANA zone its person chose to read times in; null for the desk's (TIME_ZONE). */
  timeZone: string | null;
}

type Row = Record<string, unknown>;

function toLogin(row: Row): Login {
  return {
    id: Number(row.id),
    accountId: row.account_id === null ? null : Number(row.account_id),
    accountStatus: (row.account_status as string | null) ?? null,
    username: row.username as string,
    role: row.role as Role,
    displayName: row.display_name as string,
    email: (row.email as string | null) ?? null,
    passwordHash: (row.password_hash as string | null) ?? null,
    activatedAt: asDate(row.activated_at),
    mustChangePassword: Boolean(row.must_change_password),
    tempPasswordExpiresAt: asDate(row.temp_password_expires_at),
    failedSignIns: Number(row.failed_sign_ins),
    lockedUntil: asDate(row.locked_until),
    sessionEpoch: Number(row.session_epoch),
    canOpenCases: Boolean(row.can_open_cases),
    disabledAt: asDate(row.disabled_at),
    createdBy: idOrNull(row.created_by),
    confirmedAt: asDate(row.confirmed_at),
    confirmedBy: idOrNull(row.confirmed_by),
    unconfirmedBy: idOrNull(row.unconfirmed_by),
    timeZone: (row.time_zone as string | null | undefined) ?? null,
  };
}

const idOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function selectLogins(db: Db | Knex.Transaction) {
  return db("users")
    .leftJoin("accounts", "accounts.id", "users.account_id")
    .select("users.*", "accounts.status as account_status");
}

export async function findLoginByUsername(db: Db, username: string): Promise<Login | null> {
  const row = (await selectLogins(db).whereRaw("lower(users.username) = ?", [username.toLowerCase()]).first()) as Row | undefined;
  return row ? toLogin(row) : null;
}

export async function findLoginById(db: Db, id: number): Promise<Login | null> {
  const row = (await selectLogins(db).where("users.id", id).first()) as Row | undefined;
  return row ? toLogin(row) : null;
}

/** What every signed-in request needs of its login: never the password hash or sign-in counters. */
export type SessionLogin = Pick<
  Login,
  "id" | "accountId" | "accountStatus" | "username" | "role" | "displayName" | "email" | "mustChangePassword" | "sessionEpoch" | "canOpenCases" | "disabledAt" | "timeZone"
> & {
  /** An active second factor (an authenticator app or a passkey), read with the login on each request: a policy that requires one is decided from the database, not the session. */
  hasActiveFactor: boolean;
};

const SESSION_COLUMNS = ["users.id", "users.account_id", "accounts.status as account_status", "users.username", "users.role", "users.display_name", "users.email", "users.must_change_password", "users.session_epoch", "users.can_open_cases", "users.disabled_at", "users.time_zone"];

/** The login behind a session, read on every request (the columns not read are left out of the type too). */
export async function findSessionLogin(db: Db, id: number): Promise<SessionLogin | null> {
  const found: unknown = await db("users")
    .leftJoin("accounts", "accounts.id", "users.account_id")
    .where("users.id", id)
    .first([...SESSION_COLUMNS, db.raw(
        "(exists (select 1 from totp_factors where totp_factors.user_id = users.id and totp_factors.activated_at is not null) or exists (select 1 from passkeys where passkeys.user_id = users.id)) as has_active_factor",
      )]);
  const row = found as Row | undefined;
  return row ? { ...toLogin(row), hasActiveFactor: Boolean(row.has_active_factor) } : null;
}

/** Every login of an account, the primary first. */
export async function listLoginsOfAccount(db: Db, accountId: number): Promise<Login[]> {
  const rows: unknown = await selectLogins(db).where("users.account_id", accountId).orderByRaw("case when users.role = 'primary' then 0 else 1 end, lower(users.username)");
  return (rows as Row[]).map(toLogin);
}

/** An agent or admin as the desk's pickers show them. */
export interface StaffName {
  id: number;
  username: string;
  displayName: string;
}

/** The agents and admins who can take tickets (not disabled): three columns, read on every desk page. */
export async function listActiveStaff(db: Db): Promise<StaffName[]> {
  const rows: unknown = await db("users").whereIn("role", STAFF_ROLES).whereNull("disabled_at").orderByRaw("lower(username)").select("id", "username", "display_name");
  return (rows as Row[]).map((r) => ({ id: Number(r.id), username: r.username as string, displayName: r.display_name as string }));
}

/** Every agent and admin. */
export async function listStaff(db: Db): Promise<Login[]> {
  const rows: unknown = await selectLogins(db).whereIn("users.role", STAFF_ROLES).orderByRaw("lower(users.username)");
  return (rows as Row[]).map(toLogin);
}

/** Stores the zone a person reads times in (an IANA name the caller checked), or null for the desk's. */
export async function setLoginTimeZone(db: Db, id: number, timeZone: string | null, now: Date): Promise<void> {
  await db("users").where({ id }).update({ time_zone: timeZone, updated_at: now });
}

export interface NewLogin {
  accountId: number | null;
  username: string;
  role: Role;
  displayName: string;
  email: string | null;
  passwordHash: string | null;
  canOpenCases?: boolean;
  /** The admin creating it in the console, if one is. */
  createdBy?: number | null;
  /** Confirmed at once: staff made by an operator at the server (CLI) or the demo data. */
  confirmed?: boolean;
}

/** Inserts a login; a given password hash also starts its password history. */
export async function insertLogin(trx: Db | Knex.Transaction, login: NewLogin, now: Date): Promise<number> {
  const id = await insertReturningId(trx, "users", {
    account_id: login.accountId,
    username: login.username,
    role: login.role,
    display_name: login.displayName,
    email: login.email,
    email_changed_at: now,
    password_hash: login.passwordHash,
    password_changed_at: login.passwordHash ? now : null,
    activated_at: login.passwordHash ? now : null,
    can_open_cases: login.canOpenCases ?? false,
    created_by: login.createdBy ?? null,
    confirmed_at: login.confirmed ? now : null,
    unconfirmed_by: login.confirmed ? null : (login.createdBy ?? null),
    created_at: now,
    updated_at: now,
  });
  if (login.passwordHash) await trx("password_history").insert({ user_id: id, password_hash: login.passwordHash, created_at: now });
  return id;
}

/** A lock in force at `now` (a lock that has run out counts as none). */
const lockedAt = (q: Knex.QueryBuilder, now: Date) => q.whereNotNull("locked_until").andWhere("locked_until", ">", now);

/**
 * Counts an attempt before its guess is checked, in one statement: only while the login is not
 * locked and has attempts left, so parallel requests cannot check more guesses than `max`.
 * False when nothing was counted (locked, out of attempts, or no such login).
 */
export async function reserveSignInAttempt(db: Db | Knex.Transaction, id: number, max: number, now: Date): Promise<boolean> {
  const counted = await db("users")
    .where({ id })
    .whereNot((q) => lockedAt(q, now))
    .andWhere("failed_sign_ins", "<", max)
    .update({ failed_sign_ins: db.raw("failed_sign_ins + 1"), updated_at: now });
  return counted === 1;
}

/** Locks the login when its attempts are spent and no lock is in force; true when this call locked it. */
export async function lockWhenSpent(trx: Knex.Transaction, id: number, max: number, until: Date, now: Date): Promise<boolean> {
  const locked = await trx("users")
    .where({ id })
    .whereNot((q) => lockedAt(q, now))
    .andWhere("failed_sign_ins", ">=", max)
    .update({ locked_until: until, failed_sign_ins: 0, updated_at: now });
  return locked === 1;
}

/**
 * After a right answer: clears the count, or only gives back the attempt it reserved (a right
 * password before the second step). Never over a lock set meanwhile: false then, nothing changed.
 */
export async function settleSignInAttempt(db: Db | Knex.Transaction, id: number, how: "clear" | "give_back", now: Date): Promise<boolean> {
  const count = how === "clear" ? 0 : db.raw("case when failed_sign_ins > 0 then failed_sign_ins - 1 else 0 end");
  const settled = await db("users")
    .where({ id })
    .whereNot((q) => lockedAt(q, now))
    .update({ failed_sign_ins: count, locked_until: null, updated_at: now });
  return settled === 1;
}

/** An admin's unlock: the count and any lock go. */
export async function clearFailedSignIns(db: Db | Knex.Transaction, id: number, now: Date): Promise<void> {
  await db("users").where({ id }).update({ failed_sign_ins: 0, locked_until: null, updated_at: now });
}

/** Confirms a staff login (by a second admin), or makes it need confirming again by `unconfirmedBy`'s hand. */
export async function setStaffConfirmation(db: Db | Knex.Transaction, id: number, change: { confirmedBy: number } | { unconfirmedBy: number }, now: Date): Promise<void> {
  await db("users")
    .where({ id })
    .update("confirmedBy" in change ? { confirmed_by: change.confirmedBy, confirmed_at: now, unconfirmed_by: null, updated_at: now } : { confirmed_by: null, confirmed_at: null, unconfirmed_by: change.unconfirmedBy, updated_at: now });
}

/** The confirmed admins, who hear of every staff login created in the console. */
export async function listConfirmedAdmins(db: Db | Knex.Transaction): Promise<Login[]> {
  const rows: unknown = await selectLogins(db).where("users.role", "admin").whereNull("users.disabled_at").whereNotNull("users.confirmed_at").orderBy("users.id");
  return (rows as Row[]).map(toLogin);
}

/** Ends every session of the login: sessions carry the epoch they began in. */
export async function bumpSessionEpoch(db: Db | Knex.Transaction, id: number, now: Date): Promise<void> {
  await db("users").where({ id }).update({ session_epoch: db.raw("session_epoch + 1"), updated_at: now });
}
