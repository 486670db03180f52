import { readFileSync } from "node:fs";
import path from "node:path";
import { appendAudit } from "../platform/audit/audit-log.js";
import { hashPassword } from "../identity/password-hashing.js";
import { generateRandomPassword } from "../identity/random-password.js";
import type { Clock } from "../shared/clock.js";
import { hours } from "../shared/clock.js";
import type { Db } from "../shared/db.js";
import { demoDir } from "../shared/paths.js";
import { insertAccount, insertContact } from "../accounts/accounts-store.js";
import { countLogins } from "../identity/account-logins-store.js";
import { replaceKey } from "../identity/keys-store.js";
import { checkPublicKey } from "../identity/pgp-key-check.js";
import { insertLogin } from "../identity/users-store.js";
import type { Role } from "../shared/roles.js";

interface DemoLogin {
  username: string;
  role: Role;
  displayName: string;
  email: string;
  canOpenCases?: boolean;
}

const STAFF: DemoLogin[] = [
  { username: "admin", role: "admin", displayName: "Desk Administrator", email: "admin@vouchdesk.example" },
  { username: "alice", role: "agent", displayName: "Alice Agent", email: "alice@vouchdesk.example" },
  { username: "bob", role: "agent", displayName: "Bob Agent", email: "bob@vouchdesk.example" },
];
const ACME: DemoLogin[] = [
  { username: "ACM0001", role: "primary", displayName: "Acme primary login", email: "primary@acme.example" },
  { username: "carol", role: "secondary", displayName: "Carol Jones", email: "carol@acme.example", canOpenCases: true },
  { username: "dave", role: "secondary", displayName: "Dave Smith", email: "dave@acme.example" },
];

export interface DemoCredential {
  username: string;
  role: Role;
  password: string;
}

/**
 * Loads the demo records (DESIGN §7) into an empty database and returns the credentials,
 * each login with its own random password, or all with `fixedPassword` when given.
 * Records are dated 30 days back so the reset workflow's recent-change rule stays quiet.
 * ACM0001 has the demo OpenPGP key whose private half ships in demo/ (to read its mail).
 * Returns null when the database already holds logins.
 */
export async function loadDemoData(db: Db, clock: Clock, fixedPassword?: string): Promise<DemoCredential[] | null> {
  if ((await countLogins(db)) > 0) return null;
  const then = new Date(clock.now().getTime() - hours(24 * 30));
  const credentials: DemoCredential[] = [];
  const hashed = async (login: DemoLogin) => {
    const password = fixedPassword ?? generateRandomPassword();
    credentials.push({ username: login.username, role: login.role, password });
    return hashPassword(password);
  };
  const hashes = new Map<string, string>();
  for (const login of [...STAFF, ...ACME]) hashes.set(login.username, await hashed(login));
  const primaryKey = await checkPublicKey(readFileSync(path.join(demoDir, "ACM0001-public.asc"), "utf8"), "primary@acme.example", clock.now());
  if (!primaryKey.ok) throw new Error(`The demo key in demo/ is not usable: ${primaryKey.problems.join(" ")}`);

  await db.transaction(async (trx) => {
    const ids = new Map<string, number>();
    for (const s of STAFF) {
      ids.set(s.username, await insertLogin(trx, { ...s, accountId: null, passwordHash: hashes.get(s.username)!, confirmed: true }, then));
    }
    const acme = await insertAccount(trx, { code: "ACM", name: "Acme Corp" }, then);
    for (const c of ACME) {
      ids.set(c.username, await insertLogin(trx, { ...c, accountId: acme, passwordHash: hashes.get(c.username)! }, then));
    }
    await insertContact(
      trx,
      { accountId: acme, userId: ids.get("ACM0001")!, name: "Paula Primary", kind: "primary", email: "primary@acme.example", phone: "+442079460001", authorisedForSupport: true },
      then,
    );
    await insertContact(
      trx,
      { accountId: acme, userId: ids.get("carol")!, name: "Carol Jones", kind: "secondary", email: "carol@acme.example", phone: "+442079460002", authorisedForSupport: true },
      then,
    );
    await replaceKey(trx, ids.get("ACM0001")!, primaryKey.key, null, then);
    await appendAudit(trx, { action: "demo_data.loaded", details: { logins: [...ids.keys()] } }, clock.now());
  });
  return credentials;
}
