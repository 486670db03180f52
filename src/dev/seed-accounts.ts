import type { Knex } from "knex";
import type { Db } from "../shared/db.js";
import { capitalise, companyName, personName, type Random } from "./seed-data.js";
import { insertRows, reserveIds } from "./seed-bulk.js";

/** A made-up customer account and the ids of its logins (the primary first). */
export interface SeededAccount {
  id: number;
  loginIds: number[];
}

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Every account code there can be (3 letters: 17,576). */
const ALL_CODES = Array.from({ length: 26 ** 3 }, (_, i) => LETTERS[Math.floor(i / 676)]! + LETTERS[Math.floor(i / 26) % 26]! + LETTERS[i % 26]!);

const ACCOUNT_COLUMNS = ["id", "code", "name", "status", "created_at", "updated_at"];
const USER_COLUMNS = ["id", "account_id", "username", "role", "display_name", "email", "email_changed_at", "password_hash", "activated_at", "can_open_cases", "created_at", "updated_at"];
const CONTACT_COLUMNS = ["account_id", "user_id", "name", "kind", "email", "phone", "phone_changed_at", "authorised_for_support", "created_at", "updated_at"];

/** Codes not yet taken, in a random order, and usernames already in use (lower case). */
async function freeNames(db: Db | Knex.Transaction, random: Random): Promise<{ codes: string[]; usernames: Set<string> }> {
  const accounts: unknown = await db("accounts").select("code");
  const logins: unknown = await db("users").select("username");
  const taken = new Set((accounts as { code: string }[]).map((r) => r.code.toUpperCase()));
  const usernames = new Set((logins as { username: string }[]).map((r) => r.username.toLowerCase()));
  const codes = ALL_CODES.filter((c) => !taken.has(c) && !usernames.has(`${c}0001`.toLowerCase()));
  for (let i = codes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [codes[i], codes[j]] = [codes[j]!, codes[i]!];
  }
  return { codes, usernames };
}

interface PlannedLogin {
  username: string;
  role: "primary" | "secondary";
  name: string;
  email: string;
}

/** The logins of one new account: its primary and two or three secondaries. */
function planLogins(code: string, random: Random, usernames: Set<string>): PlannedLogin[] {
  const domain = `${code.toLowerCase()}.example`;
  const logins: PlannedLogin[] = [{ username: `${code}0001`, role: "primary", name: `${code} primary login`, email: `primary@${domain}` }];
  const secondaries = 2 + Math.floor(random() * 2);
  for (let s = 0; s < secondaries; s++) {
    const { first, last } = personName(random);
    let username = `${first}.${last}.${code.toLowerCase()}`;
    for (let n = 2; usernames.has(username); n++) username = `${first}.${last}${n}.${code.toLowerCase()}`;
    usernames.add(username);
    logins.push({ username, role: "secondary", name: `${capitalise(first)} ${capitalise(last)}`, email: `${username.split(".").slice(0, -1).join(".")}@${domain}` });
  }
  return logins;
}

/** A valid London number (libphonenumber's plan: 020 3…, 020 7…, 020 8…), from one draw of `random`. */
function phone(random: Random): string {
  const n = Math.floor(random() * 3e7);
  return `+4420${"378"[Math.floor(n / 1e7)]!}${String(n % 1e7).padStart(7, "0")}`;
}

/**
 * Creates up to `count` active accounts (fewer when the 3-letter codes run out), each with a
 * primary login, two or three secondary logins (the first authorised to open cases) and
 * contacts for the primary and that secondary, all dated `at`. Logins get no password hash:
 * nobody can sign in as them until a password is set the ordinary way. They stand for
 * customers who have used the desk, so they count as activated: support never mails them a
 * first-password link (a primary's goes through a reset request, a secondary's its holder).
 */
export async function seedAccounts(trx: Knex.Transaction, count: number, random: Random, at: Date): Promise<SeededAccount[]> {
  const { codes, usernames } = await freeNames(trx, random);
  const plans = codes.slice(0, count).map((code) => ({ code, logins: planLogins(code, random, usernames) }));
  const accountIds = await reserveIds(trx, "accounts", plans.length);
  const userIds = await reserveIds(trx, "users", plans.reduce((sum, p) => sum + p.logins.length, 0));
  const accounts: unknown[][] = [];
  const users: unknown[][] = [];
  const contacts: unknown[][] = [];
  const seeded: SeededAccount[] = [];

  let nextUser = 0;
  for (const [i, { code, logins }] of plans.entries()) {
    const accountId = accountIds[i]!;
    accounts.push([accountId, code, companyName(random), "active", at, at]);
    const loginIds = logins.map(() => userIds[nextUser++]!);
    for (const [j, l] of logins.entries()) {
      users.push([loginIds[j], accountId, l.username, l.role, l.name, l.email, at, null, at, j === 1, at, at]);
    }
    const [primary, authorised] = [logins[0]!, logins[1]!];
    contacts.push([accountId, loginIds[0], `${code} account holder`, "primary", primary.email, phone(random), at, true, at, at]);
    contacts.push([accountId, loginIds[1], authorised.name, "secondary", authorised.email, phone(random), at, true, at, at]);
    seeded.push({ id: accountId, loginIds });
  }

  await insertRows(trx, "accounts", ACCOUNT_COLUMNS, accounts);
  await insertRows(trx, "users", USER_COLUMNS, users);
  await insertRows(trx, "contacts", CONTACT_COLUMNS, contacts);
  return seeded;
}
