import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import request from "supertest";
import * as tar from "tar";
import { projectRoot } from "../../src/shared/paths.js";
import { Cleanup } from "../support/cleanup.js";
import { runCli } from "../support/cli-process.js";
import { freshDatabase, type TestDatabase } from "../support/database.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";
import { signIn, signInOk } from "../support/sign-in.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { waitFor } from "../support/wait.js";
import { openTicket } from "../tickets/helpers.js";

const onPostgres = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? "");
const packageVersion = (JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")) as { version: string }).version;
const KEEPER_PASSWORD = "Backup-Keeper-Passw0rd!k4";

interface Desk {
  server: ServerProcess;
  database: TestDatabase;
  varDir: string;
}

const modeOf = (file: string) => statSync(file).mode & 0o777;
/** What a folder holds, file by file with its bytes: equal before and after means nothing was written. */
const contentsOf = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort().map((name) => `${name}:${readFileSync(path.join(dir, name)).toString("base64")}`) : null);

describe(`backup and restore from the command line (${onPostgres ? "PostgreSQL" : "SQLite"})`, function () {
  // Several server starts and CLI runs from the TypeScript sources, on a machine shared with other work.
  this.timeout(300_000);
  const cleanup = new Cleanup();
  const suite = new Cleanup();
  let desk: Desk;
  let work: string;
  let archive: string;
  let backupRun: ReturnType<typeof runCli>;

  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    suite.add(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };
  /** The CLI as an operator runs it beside the desk: the same VAR_DIR and database, the session secret from VAR_DIR. */
  const cli = (args: string[], varDir: string, env: Record<string, string | undefined> = {}, input = "") =>
    runCli(args, { VAR_DIR: varDir, DATABASE_URL: desk.database.url, SESSION_SECRET: undefined, DATA_KEY: undefined, ...env }, input);
  /** A desk as `npm start` runs it, keeping its generated session secret in VAR_DIR (so the backup has one to carry). */
  const startDesk = (varDir: string, databaseUrl: string, worker: "inline" | "off") =>
    startServerProcess({ VAR_DIR: varDir, DATABASE_URL: databaseUrl, SESSION_SECRET: "", WORKER: worker });

  before(async () => {
    const database = await freshDatabase();
    suite.add(() => database.drop());
    const varDir = tempDir("vouchdesk-backup-var-");
    // The inline worker anchors the audit head, so the backup carries a signed anchor to verify against.
    const server = await startDesk(varDir, database.url, "inline");
    suite.add(() => server.stop());
    desk = { server, database, varDir };
    await waitFor("the first audit anchor", () => existsSync(path.join(varDir, "audit-anchor.asc")), 60_000);

    const carol = request.agent(server.url);
    await signInOk(carol, "carol", DEMO_PASSWORD);
    await openTicket(carol, { subject: "Printer jams before the backup" });
    const created = cli(["create-agent", "keeper", "keeper@example.com"], varDir, {}, `${KEEPER_PASSWORD}\n`);
    expect(created.status, created.stderr).to.equal(0);

    work = tempDir("vouchdesk-backup-work-");
    archive = path.join(work, "desk.tar");
    backupRun = cli(["backup", archive], varDir);
    expect(backupRun.status, backupRun.stderr).to.equal(0);
    expect(server.alive(), "the desk kept running through the backup").to.equal(true);
    // Written after the backup: a restore of it must not hold this.
    await openTicket(carol, { subject: "Toner ordered after the backup" });
  });
  after(() => suite.run());
  afterEach(() => cleanup.run());

  it("writes one archive with mode 0600 that tar(1) lists, holding the keys by design and no password in clear", () => {
    expect(modeOf(archive)).to.equal(0o600);
    const listing = execFileSync("tar", ["-tvf", archive], { encoding: "utf8" });
    const members = listing.trim().split("\n").map((line) => line.split(/\s+/).pop());
    // The database is in the archive on SQLite only; on PostgreSQL pg_dump takes it.
    const database = onPostgres ? [] : ["vouchdesk.sqlite"];
    expect(members).to.deep.equal(["manifest.json", ...database, "desk-key.asc", "data-key", "session-secret", "audit-anchor.asc"]);
    for (const line of listing.trim().split("\n")) expect(line, "every member is private").to.match(/^-rw------- /);

    const bytes = readFileSync(archive);
    for (const password of [DEMO_PASSWORD, KEEPER_PASSWORD]) expect(bytes.includes(Buffer.from(password)), "a password in clear in the archive").to.equal(false);
    // The keys are in it on purpose (a restore needs them); the output names them, never their contents.
    const dataKey = readFileSync(path.join(desk.varDir, "data-key"), "utf8").trim();
    expect(bytes.includes(Buffer.from(dataKey))).to.equal(true);
    expect(backupRun.stdout).to.include("desk-key.asc").and.include("data-key").and.include("bytes").and.include("mode 0600");
    expect(backupRun.stdout + backupRun.stderr).not.to.include(dataKey);

    const manifest = JSON.parse(execFileSync("tar", ["-xOf", archive, "manifest.json"], { encoding: "utf8" })) as Record<string, unknown>;
    expect(manifest).to.include({ format: 1, appVersion: packageVersion, engine: onPostgres ? "postgresql" : "sqlite", dataKey: "archive" });
    expect(manifest.latestMigration).to.be.a("string").and.match(/^\d{8}_\d{2}_/);
    expect(manifest.createdAt).to.be.a("string");
    const sha = execFileSync("tar", ["-xOf", archive, "desk-key.asc"]);
    const listed = (manifest.members as { name: string; sha256: string }[]).find((m) => m.name === "desk-key.asc");
    expect(listed?.sha256).to.equal(execFileSync("sha256sum", [], { input: sha, encoding: "utf8" }).split(" ")[0]);
  });

  it("leaves the data key out when DATA_KEY is set in the environment, and says so", () => {
    const fromEnvironment = path.join(work, "env-key.tar");
    cleanup.add(() => rmSync(fromEnvironment, { force: true }));
    const dataKey = randomBytes(32).toString("hex");
    const result = cli(["backup", fromEnvironment], desk.varDir, { DATA_KEY: dataKey });
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.include("The data key is not in the archive (DATA_KEY is set in the environment)");
    expect(execFileSync("tar", ["-tf", fromEnvironment], { encoding: "utf8" }).split("\n")).not.to.include("data-key");
    expect(readFileSync(fromEnvironment).includes(Buffer.from(dataKey))).to.equal(false);
  });

  it("refuses to write over an existing file, which stays as it was", () => {
    const existing = path.join(work, "precious.tar");
    writeFileSync(existing, "not a backup, and not to be lost\n");
    const result = cli(["backup", existing], desk.varDir);
    expect(result.status).to.equal(2);
    expect(result.stderr.trim()).to.equal(`Not written: ${existing} already exists, and a backup never replaces a file; choose a new name or move the old one away.`);
    expect(readFileSync(existing, "utf8")).to.equal("not a backup, and not to be lost\n");
  });

  it("refuses to restore into a VAR_DIR that holds a database or keys, writing nothing", () => {
    // A VAR_DIR of its own holding one key (the live desk's VAR_DIR changes under a running worker).
    const occupied = tempDir("vouchdesk-restore-occupied-");
    copyFileSync(path.join(desk.varDir, "desk-key.asc"), path.join(occupied, "desk-key.asc"));
    const before = contentsOf(occupied);
    const result = cli(["restore", archive], occupied, onPostgres ? {} : { DATABASE_URL: undefined });
    expect(result.status).to.equal(2);
    expect(result.stderr.trim()).to.equal(
      `Not restored: VAR_DIR ${occupied} is not empty, it already holds ${path.join(occupied, "desk-key.asc")}; restore only into an empty VAR_DIR (move these away first). Nothing was written.`,
    );
    expect(contentsOf(occupied)).to.deep.equal(before);
  });

  it("refuses a damaged archive whose SHA-256s do not match, writing nothing", () => {
    const damaged = path.join(work, "damaged.tar");
    cleanup.add(() => rmSync(damaged, { force: true }));
    copyFileSync(archive, damaged);
    const bytes = readFileSync(damaged);
    // One byte changed inside a member's content (the tar headers' own checksums still hold).
    const inside = bytes.indexOf("-----BEGIN PGP PRIVATE KEY BLOCK-----") + 100;
    bytes[inside] = bytes[inside]! ^ 0x01;
    writeFileSync(damaged, bytes);
    const target = tempDir("vouchdesk-restore-damaged-");

    const result = cli(["restore", damaged], target, onPostgres ? {} : { DATABASE_URL: undefined });
    expect(result.status).to.equal(2);
    expect(result.stderr.trim()).to.equal(`Not restored: ${damaged} is damaged: desk-key.asc does not match the SHA-256 its manifest gives. Nothing was written.`);
    expect(contentsOf(target)).to.deep.equal([]);

    // Cut short inside the member after the manifest (a copy that did not finish).
    writeFileSync(damaged, readFileSync(archive).subarray(0, 3000));
    const truncated = cli(["restore", damaged], target, onPostgres ? {} : { DATABASE_URL: undefined });
    expect(truncated.status).to.equal(2);
    expect(truncated.stderr.trim().split("\n")).to.have.length(1);
    expect(truncated.stderr).to.include(`Not restored: ${damaged} is damaged or not a Vouchdesk backup: it cannot be read as a tar archive (TAR_BAD_ARCHIVE: Truncated input`).and.include("Nothing was written.");
    expect(contentsOf(target)).to.deep.equal([]);
  });

  it("refuses an archive whose manifest is JSON but no manifest (a list, a member of null, a member without its fields), in one line, writing nothing", () => {
    const target = tempDir("vouchdesk-restore-manifest-");
    for (const text of ["[]", '{"format":1,"members":[null]}', '{"format":1,"members":[{"name":7}]}']) {
      const source = tempDir("vouchdesk-manifest-");
      writeFileSync(path.join(source, "manifest.json"), text);
      const forged = path.join(source, "forged.tar");
      tar.create({ file: forged, cwd: source, sync: true }, ["manifest.json"]);
      const result = cli(["restore", forged], target, onPostgres ? {} : { DATABASE_URL: undefined });
      expect(result.status, text).to.equal(2);
      expect(result.stderr.trim(), text).to.equal(`Not restored: ${forged} is damaged or not a Vouchdesk backup: it has no manifest.json listing its members. Nothing was written.`);
      expect(contentsOf(target)).to.deep.equal([]);
    }
  });

  it("refuses an archive made on the other database engine, writing nothing", () => {
    const target = tempDir("vouchdesk-restore-engine-");
    // Only read, never reached: the refusal comes before any connection.
    const other = onPostgres ? { DATABASE_URL: undefined } : { DATABASE_URL: "postgres://nobody@127.0.0.1:1/nothing" };
    const result = cli(["restore", archive], target, other);
    expect(result.status).to.equal(2);
    expect(result.stderr.trim()).to.match(
      onPostgres
        ? /^Not restored: .* was made on PostgreSQL and holds the keys alone; set DATABASE_URL to the PostgreSQL database put back with pg_restore, then restore the keys\. Nothing was written\.$/
        : /^Not restored: .* holds a SQLite database, but DATABASE_URL names PostgreSQL; restore it with the SQLite DATABASE_URL \(or none\)\. Nothing was written\.$/,
    );
    expect(contentsOf(target)).to.deep.equal([]);
  });

  if (!onPostgres) {
    // SQLite only: the archive holds the database itself (on PostgreSQL it is pg_dump's to take).
    it("restores into a fresh VAR_DIR where the desk starts, a known login signs in and the audit chain verifies", async () => {
      const target = path.join(tempDir("vouchdesk-restore-"), "var");
      const restored = cli(["restore", archive], target, { DATABASE_URL: undefined });
      expect(restored.status, restored.stderr).to.equal(0);
      expect(restored.stdout).to.include("vouchdesk.sqlite").and.include("Start the desk on it");
      expect(readdirSync(target).sort()).to.deep.equal(["audit-anchor.asc", "data-key", "desk-key.asc", "session-secret", "vouchdesk.sqlite"]);
      for (const name of readdirSync(target)) expect(modeOf(path.join(target, name)), name).to.equal(0o600);

      // No worker: the anchor checked below is the restored one, not one the new desk writes.
      const server = await startDesk(target, "", "off");
      cleanup.add(() => server.stop());
      const keeper = request.agent(server.url);
      expect((await signIn(keeper, "keeper", "not-the-password")).status).not.to.equal(303);
      await signInOk(keeper, "keeper", KEEPER_PASSWORD);
      const carol = request.agent(server.url);
      await signInOk(carol, "carol", DEMO_PASSWORD);
      const tickets = (await carol.get("/tickets").expect(200)).text;
      expect(tickets).to.include("Printer jams before the backup").and.not.include("Toner ordered after the backup");

      const verified = cli(["audit-verify"], target, { DATABASE_URL: undefined });
      expect(verified.status, verified.stdout + verified.stderr).to.equal(0);
      expect(verified.stdout).to.match(/^Audit chain intact: \d+ rows verified; it holds the head anchored at /);
    });
  }

  if (onPostgres) {
    // PostgreSQL only: the archive holds the keys alone, and the desk's database is the one pg_restore would put back.
    it("backs up the keys alone, names pg_dump and pg_restore, and the keys restored start the desk on its database", async () => {
      expect(backupRun.stdout).to.include("This archive holds the keys alone").and.include("pg_dump").and.include("pg_restore");
      const target = tempDir("vouchdesk-restore-keys-");
      const restored = cli(["restore", archive], target);
      expect(restored.status, restored.stderr).to.equal(0);
      expect(restored.stdout).to.include("Only the keys were restored").and.include("pg_restore");
      expect(readdirSync(target).sort()).to.deep.equal(["audit-anchor.asc", "data-key", "desk-key.asc", "session-secret"]);
      for (const name of readdirSync(target)) expect(modeOf(path.join(target, name)), name).to.equal(0o600);

      const server = await startDesk(target, desk.database.url, "off");
      cleanup.add(() => server.stop());
      await signInOk(request.agent(server.url), "keeper", KEEPER_PASSWORD);
      const verified = cli(["audit-verify"], target);
      expect(verified.status, verified.stdout + verified.stderr).to.equal(0);
      expect(verified.stdout).to.match(/^Audit chain intact: \d+ rows verified; it holds the head anchored at /);
    });
  }
});
