import { text } from "node:stream/consumers";
import { registerLogin, findLoginByUsername, hashPassword, isPrimaryUsername, lengthProblem } from "../identity/index.js";
import type { Role } from "../shared/roles.js";
import { auditAnchorFile, checkAgainstAnchor, readAuditAnchor, reanchorAuditHead } from "../platform/audit/audit-anchor.js";
import { appendAudit, verifyAuditChain } from "../platform/audit/audit-log.js";
import { systemClock } from "../shared/clock.js";
import { ConfigError, loadConfig, type Config } from "../shared/config.js";
import { migrate, openDatabase, type Db } from "../shared/db.js";
import { createLogger } from "../shared/logger.js";
import { deskKeyOf, readDeskKeyFile, readRetiredKeys, type DeskKey } from "../platform/mail/desk-key.js";
import { seedTickets } from "../dev/seed-tickets.js";
import { BackupRefused } from "./backup-archive.js";
import { backup } from "./backup.js";
import { restore } from "./restore.js";

const USAGE = `Usage: npm run cli -- <command>
  migrate                              apply database migrations
  create-admin <username> <email>      create an admin; the password is read from standard input
  create-agent <username> <email>      create an agent; the password is read from standard input
  audit-verify                         check the audit log's hash chain and that it still holds the
                                       head anchored in VAR_DIR/audit-anchor.asc (exit 1 if not)
  audit-reanchor                       after a deliberate database restore only: anchor the audit chain's
                                       head as it is now, replacing the anchor it no longer holds (audited)
  seed-tickets <count>                 add <count> made-up tickets across new accounts (benchmarks; refused in production)
  backup <file>                        write <file> (a tar, mode 0600): a consistent copy of the SQLite database taken
                                       while the desk runs, the desk and data keys; on PostgreSQL the keys alone
  restore <file>                       put a backup back into an empty VAR_DIR (refused when it holds a database or keys)`;

class UsageError extends Error {}

const out = (line: string) => process.stdout.write(line + "\n");

async function createStaff(db: Db, role: Role, args: string[], policy: "classic" | "nist"): Promise<void> {
  const [username, email] = args;
  if (!username || !email) throw new UsageError(`${role === "admin" ? "create-admin" : "create-agent"} needs <username> <email>`);
  if (!/^[A-Za-z0-9._-]{2,64}$/.test(username) || isPrimaryUsername(username)) {
    throw new UsageError("username must be 2–64 letters, digits, dots, dashes or underscores, and not of the customer-primary form (ABC1234)");
  }
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new UsageError(`"${email}" is not an email address`);
  if (await findLoginByUsername(db, username)) throw new UsageError(`a login named "${username}" already exists`);
  // The first line of standard input, so `echo pw | npm run cli …` and a pipe from a secret store both work.
  const password = (await text(process.stdin)).split(/\r?\n/)[0] ?? "";
  const problem = lengthProblem(password, policy);
  if (problem) throw new UsageError(problem);
  const now = systemClock.now();
  const passwordHash = await hashPassword(password);
  await db.transaction(async (trx) => {
    const id = await registerLogin(trx, { accountId: null, username, role, displayName: username, email, passwordHash, confirmed: true }, now);
    await appendAudit(trx, { action: "user.created", actor: "cli", subject: `user:${id}`, details: { username, role, email, via: "cli" } }, now);
  });
  out(`Created ${role} ${username}.`);
}

async function seed(db: Db, args: string[], production: boolean): Promise<void> {
  if (production) throw new UsageError("seed-tickets adds made-up tickets and accounts; it is refused when NODE_ENV=production");
  const count = args[0] && /^\d+$/.test(args[0]) ? Number(args[0]) : NaN;
  if (!(count >= 1 && count <= 10_000_000)) throw new UsageError("seed-tickets needs <count>, a whole number from 1 to 10000000");
  const started = Date.now();
  const result = await seedTickets(db, {
    tickets: count,
    onProgress: (done, total) => {
      if (done === total || done % 100_000 === 0) process.stderr.write(`  ${done.toLocaleString("en")} / ${total.toLocaleString("en")} tickets\n`);
    },
  });
  await appendAudit(db, { action: "tickets.seeded", actor: "cli", details: { ...result } }, systemClock.now());
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  out(`Seeded ${result.tickets} tickets (${result.events} events) across ${result.accounts} new accounts (${result.logins} logins) in ${seconds} s.`);
}

/** The chain row by row, then its head against the signed anchor kept outside the table. */
async function auditVerify(db: Db, config: Config): Promise<number> {
  const check = await verifyAuditChain(db);
  if (!check.ok) {
    out(`Audit chain BROKEN at row ${check.badSeq}: ${check.problem} (${check.rows} rows verified before it).`);
    return 1;
  }
  const intact = `Audit chain intact: ${check.rows} rows verified`;
  const file = auditAnchorFile(config.varDir);
  const read = await readAuditAnchor(file, async () => {
    const deskKey = await deskKeyFromFile(config, `${intact}, but the anchor ${file} cannot be checked`);
    return [deskKey.privateKey, ...deskKey.retired];
  });
  if (read.kind === "none") {
    out(`${intact}. No anchor at ${file} yet (written every minute and at shutdown), so deleting the newest rows cannot be detected.`);
    return 0;
  }
  if (read.kind === "invalid") {
    out(`Audit anchor INVALID: ${file} ${read.problem}. ${intact} against nothing outside the table.`);
    return 1;
  }
  const { anchor } = read;
  const against = await checkAgainstAnchor(db, anchor);
  if (!against.ok) {
    out(`Audit chain BROKEN: ${against.problem} (anchor ${file}).`);
    return 1;
  }
  const since = against.since === 0 ? "" : `, and ${against.since} newer row${against.since === 1 ? "" : "s"} written since (normal: the anchor follows the head every minute and at shutdown)`;
  out(`${intact}; it holds the head anchored at ${anchor.at.toISOString()} (row ${anchor.seq})${since}.`);
  return 0;
}

/** The anchor moves back only here, by an operator's explicit step: never onto a chain that does not verify. */
async function auditReanchor(db: Db, config: Config): Promise<number> {
  const check = await verifyAuditChain(db);
  if (!check.ok) {
    out(`Not re-anchored: the audit chain is BROKEN at row ${check.badSeq}: ${check.problem}. An anchor would vouch for a broken chain; the anchor file is unchanged.`);
    return 1;
  }
  const file = auditAnchorFile(config.varDir);
  const deskKey = await deskKeyFromFile(config, `The audit chain cannot be re-anchored`);
  const { replaced, result } = await reanchorAuditHead({ db, clock: systemClock, logger: createLogger("silent"), deskKey, file });
  out(`Audit chain re-anchored in ${file}: ${result}; it replaced ${replaced}.`);
  return 0;
}

async function deskKeyFromFile(config: Config, cannot: string): Promise<DeskKey> {
  const key = await readDeskKeyFile(config.deskKeyFile);
  if (!key) throw new UsageError(`${cannot}: the desk key file ${config.deskKeyFile} (DESK_KEY_FILE) is missing.`);
  return deskKeyOf(key, await readRetiredKeys(config.deskKeyFile));
}

async function run(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === "help" || command === "--help") {
    out(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  // Neither migrates: a backup copies the running desk's database as it is, and a restore must find no database.
  if (command === "backup" || command === "restore") {
    await (command === "backup" ? backup : restore)(config, args[0], out);
    return 0;
  }
  const db = openDatabase(config.databaseUrl);
  try {
    await migrate(db);
    switch (command) {
      case "migrate":
        out("Database is up to date.");
        return 0;
      case "create-admin":
      case "create-agent":
        await createStaff(db, command === "create-admin" ? "admin" : "agent", args, config.passwordPolicy);
        return 0;
      case "seed-tickets":
        await seed(db, args, config.production);
        return 0;
      case "audit-verify":
        return await auditVerify(db, config);
      case "audit-reanchor":
        return await auditReanchor(db, config);
      default:
        throw new UsageError(`unknown command "${command}"\n${USAGE}`);
    }
  } finally {
    await db.destroy();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const known = err instanceof UsageError || err instanceof ConfigError || err instanceof BackupRefused;
    process.stderr.write(known ? `${err.message}\n` : `${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(known ? 2 : 1);
  },
);
