import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { verifyAuditChain } from "../../src/platform/audit/audit-log.js";
import { openDatabase, type Db } from "../../src/shared/db.js";
import { databaseContains, freshDatabase, type TestDatabase } from "../support/database.js";
import { runCli } from "../support/cli-process.js";
import { browser } from "../support/http.js";
import { buildTestApp } from "../support/test-app.js";
import { signIn } from "../support/sign-in.js";

const ADMIN_PASSWORD = "Cli-Admin-Passw0rd!q7";

describe("command-line interface", function () {
  // Several CLI runs a test, each from the TypeScript sources (60 s limit apiece on a busy machine).
  this.timeout(300_000);
  let database: TestDatabase;
  let varDir: string;
  let db: Db | undefined;

  beforeEach(async () => {
    database = await freshDatabase();
    varDir = mkdtempSync(path.join(tmpdir(), "vouchdesk-cli-"));
  });

  afterEach(async () => {
    if (db) await db.destroy();
    db = undefined;
    await database.drop();
    rmSync(varDir, { recursive: true, force: true });
  });

  /** The CLI against the test database, with no PASSWORD_POLICY or SESSION_SECRET of the caller's. */
  const cli = (args: string[], input = "") => runCli(args, { VAR_DIR: varDir, DATABASE_URL: database.url, PASSWORD_POLICY: undefined, SESSION_SECRET: undefined }, input);

  /** Opens the test database in this process (after the CLI has finished with it). */
  function openDb(): Db {
    db ??= openDatabase(database.url);
    return db;
  }

  interface UserRow {
    id: number;
    role: string;
    email: string;
    confirmed_at: unknown;
    password_hash: string;
  }

  async function usersNamed(username: string): Promise<UserRow[]> {
    return openDb()<UserRow>("users").whereRaw("lower(username) = ?", [username.toLowerCase()]);
  }

  it("migrate applies the migrations and exits 0", async () => {
    const result = cli(["migrate"]);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.include("up to date");
    const users = (await openDb()("users").select()) as unknown[];
    expect(users).to.have.length(0);
    expect((await verifyAuditChain(openDb())).ok).to.equal(true);

    // Running it again is harmless.
    await db!.destroy();
    db = undefined;
    expect(cli(["migrate"]).status).to.equal(0);
  });

  it("create-admin reads the password from stdin, stores only an argon2id hash, audits, and the admin can sign in", async () => {
    const result = cli(["create-admin", "newadmin", "admin2@example.com"], `${ADMIN_PASSWORD}\n`);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.include("newadmin");
    expect(result.stdout + result.stderr).not.to.include(ADMIN_PASSWORD);

    const [user, ...others] = await usersNamed("newadmin");
    expect(others).to.have.length(0);
    expect(user, "the new login").to.not.equal(undefined);
    expect(user!.role).to.equal("admin");
    expect(user!.email).to.equal("admin2@example.com");
    expect(user!.password_hash.startsWith("$argon2id$"), user!.password_hash).to.equal(true);
    expect(user!.confirmed_at, "an operator's admin is confirmed: no second admin exists to confirm it").to.not.equal(null);

    expect(await databaseContains(openDb(), database.files, ADMIN_PASSWORD)).to.equal(false);

    const audits = (await openDb()("audit_log").where({ action: "user.created" })) as { subject: string; actor: string; details: string }[];
    expect(audits).to.have.length(1);
    expect(audits[0]!.subject).to.equal(`user:${user!.id}`);
    expect(audits[0]!.actor).to.equal("cli");
    expect(JSON.parse(audits[0]!.details)).to.include({ username: "newadmin", role: "admin" });
    expect(await verifyAuditChain(openDb())).to.deep.equal({ ok: true, rows: 1 });

    const desk = await buildTestApp({ database, env: { LOG_LEVEL: "silent", VAR_DIR: varDir } });
    const app = desk.app;

    const wrong = await signIn(browser(app), "newadmin", "not-the-password");
    expect(wrong.status).not.to.equal(303);

    const ok = await signIn(browser(app), "newadmin", ADMIN_PASSWORD);
    expect(ok.status, ok.text.slice(0, 300)).to.equal(303);
    await desk.close();
  });

  it("create-admin uses only the first line of standard input as the password", async () => {
    const result = cli(["create-admin", "firstline", "first@example.com"], `${ADMIN_PASSWORD}\nsecond line\n`);
    expect(result.status, result.stderr).to.equal(0);
    const [user] = await usersNamed("firstline");
    expect(user!.role).to.equal("admin");
    expect(await databaseContains(openDb(), database.files, ADMIN_PASSWORD)).to.equal(false);
  });

  it("create-agent creates a login with the agent role", async () => {
    const result = cli(["create-agent", "newagent", "agent2@example.com"], `${ADMIN_PASSWORD}\n`);
    expect(result.status, result.stderr).to.equal(0);
    const [user] = await usersNamed("newagent");
    expect(user!.role).to.equal("agent");
  });

  it("create-agent refuses a password shorter than 8 characters with exit 2 and creates nobody", async () => {
    const result = cli(["create-agent", "shortpw", "short@example.com"], "short\n");
    expect(result.status).to.equal(2);
    expect(result.stderr).to.match(/at least 8 characters/);
    expect(result.stderr).not.to.match(/^\s*at /m);
    expect(await usersNamed("shortpw")).to.have.length(0);
    expect(await openDb()("audit_log").where({ action: "user.created" })).to.have.length(0);
  });

  it("refuses missing arguments with exit 2", async () => {
    const noEmail = cli(["create-admin", "lonely"], `${ADMIN_PASSWORD}\n`);
    expect(noEmail.status).to.equal(2);
    expect(noEmail.stderr).to.include("create-admin needs <username> <email>");

    const nothing = cli(["create-agent"], `${ADMIN_PASSWORD}\n`);
    expect(nothing.status).to.equal(2);
    expect(nothing.stderr).to.include("create-agent needs <username> <email>");

    expect(await usersNamed("lonely")).to.have.length(0);
  });

  it("prints the usage and exits 2 with no command at all", () => {
    const result = cli([]);
    expect(result.status).to.equal(2);
    expect(result.stdout).to.include("Usage:");
  });

  it("refuses an unknown command with exit 2", () => {
    const result = cli(["frobnicate"]);
    expect(result.status).to.equal(2);
    expect(result.stderr).to.include('unknown command "frobnicate"');
  });

  it("refuses a duplicate username (in any case) with exit 2 and 'already exists'", async () => {
    expect(cli(["create-admin", "dupe", "dupe@example.com"], `${ADMIN_PASSWORD}\n`).status).to.equal(0);

    const again = cli(["create-agent", "dupe", "dupe2@example.com"], `${ADMIN_PASSWORD}\n`);
    expect(again.status).to.equal(2);
    expect(again.stderr).to.include("already exists");

    const otherCase = cli(["create-agent", "DUPE", "dupe3@example.com"], `${ADMIN_PASSWORD}\n`);
    expect(otherCase.status).to.equal(2);
    expect(otherCase.stderr).to.include("already exists");

    const rows = await usersNamed("dupe");
    expect(rows).to.have.length(1);
    expect(rows[0]!.role).to.equal("admin");
  });

  for (const username of ["ABC1234", "abc1234"]) {
    it(`refuses a username of the customer-primary form (${username}) with exit 2`, async () => {
      const result = cli(["create-admin", username, "abc@example.com"], `${ADMIN_PASSWORD}\n`);
      expect(result.status).to.equal(2);
      expect(result.stderr).to.include("ABC1234");
      expect(await usersNamed(username)).to.have.length(0);
    });
  }

  it("refuses an invalid email address with exit 2", async () => {
    const result = cli(["create-admin", "bademail", "not-an-email"], `${ADMIN_PASSWORD}\n`);
    expect(result.status).to.equal(2);
    expect(result.stderr).to.include("not an email address");
    expect(await usersNamed("bademail")).to.have.length(0);
  });
});
