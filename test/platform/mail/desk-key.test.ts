import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { simpleParser } from "mailparser";
import * as openpgp from "openpgp";
import { ConfigError, loadConfig } from "../../../src/shared/config.js";
import { migrate, openDatabase, type Db } from "../../../src/shared/db.js";
import { createLogger } from "../../../src/shared/logger.js";
import { composeSealed } from "../../../src/platform/mail/compose.js";
import { deliverDue } from "../../../src/platform/mail/delivery.js";
import { deskKeyOf, generateDeskKey, retiredKeysFile, type DeskKey } from "../../../src/platform/mail/desk-key.js";
import { openDeskKey } from "../../../src/main/desk-key-start.js";
import { enqueue } from "../../../src/platform/mail/outbox-store.js";
import { fileTransport } from "../../../src/platform/mail/transports.js";
import { projectRoot } from "../../../src/shared/paths.js";
import { freshDatabase, type TestDatabase } from "../../support/database.js";
import { TestClock } from "../../support/test-app.js";

const IDENTITY = { name: "Desk under test", email: "desk@test.example" };
const SENDER = { from: "Vouchdesk <no-reply@test.example>", hostname: "test.example" };
const LINK = "https://desk.test.example/set-password/sealed-link-for-the-test";

interface KeyRow {
  fingerprint: string;
  retired_at: unknown;
}

describe("the desk key at start", function () {
  this.timeout(30_000);
  let database: TestDatabase;
  let db: Db;
  let dir: string;
  let file: string;
  let lines: string[];
  let clock: TestClock;

  beforeEach(async () => {
    database = await freshDatabase();
    db = openDatabase(database.url);
    await migrate(db);
    dir = mkdtempSync(path.join(tmpdir(), "vouchdesk-deskkey-"));
    file = path.join(dir, "keys", "desk-key.asc");
    lines = [];
    clock = new TestClock();
  });

  afterEach(async () => {
    await db.destroy();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One start of the desk; each comes a while after the one before. */
  const open = (rotate = false) => {
    clock.advance(60_000);
    return openDeskKey({ db, clock, logger: createLogger("info", { write: (line: string) => void lines.push(line) }) }, { file, rotate, identity: IDENTITY });
  };

  /** What the start must leave alone when it refuses: the key files and every desk key record. */
  async function state() {
    return {
      files: existsSync(path.dirname(file)) ? readdirSync(path.dirname(file)).sort() : [],
      keyFile: existsSync(file) ? readFileSync(file, "utf8") : null,
      records: (await db("desk_keys").select("fingerprint", "retired_at", "made_under_rotate_flag").orderBy("fingerprint")) as unknown[],
      outbox: (await db("outbox").select("id", "status", "last_error").orderBy("id")) as unknown[],
    };
  }

  async function refusal(rotate = false): Promise<ConfigError> {
    let thrown: unknown;
    try {
      await open(rotate);
    } catch (err) {
      thrown = err;
    }
    expect(thrown, "the start is refused").to.be.instanceOf(ConfigError);
    const message = (thrown as ConfigError).message;
    expect(message.split("\n"), message).to.have.length(1);
    return thrown as ConfigError;
  }

  /** A set-password mail sealed to `key`, queued. */
  async function queueSealed(key: DeskKey): Promise<number> {
    const mail = await composeSealed(SENDER, { to: "new.login@example.com", subject: "Your new Vouchdesk login", template: "set-password", text: `Choose your password: ${LINK}` }, key, clock.now());
    return db.transaction((trx) => enqueue(trx, mail, clock.now()));
  }

  const keyRows = async () => (await db("desk_keys").select("fingerprint", "retired_at").orderBy("created_at")) as KeyRow[];
  const auditActions = async () => ((await db("audit_log").orderBy("seq").select("action")) as { action: string }[]).map((r) => r.action);

  it("makes the key on the first start (mode 0600), records it as published, and loads that same key afterwards", async () => {
    const first = await open();
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(first.privateKey.isDecrypted()).to.equal(true);
    expect(first.publicArmored).to.include("-----BEGIN PGP PUBLIC KEY BLOCK-----").and.not.include("PRIVATE KEY");
    const rows = (await db("desk_keys").select()) as { fingerprint: string; public_key: string; retired_at: unknown }[];
    expect(rows.map((r) => [r.fingerprint, r.retired_at])).to.deep.equal([[first.fingerprint, null]]);
    expect((await openpgp.readKey({ armoredKey: rows[0]!.public_key })).getFingerprint().toUpperCase()).to.equal(first.fingerprint);
    expect(await auditActions()).to.deep.equal(["desk_key.published"]);

    chmodSync(file, 0o644);
    const second = await open();
    expect(second.fingerprint).to.equal(first.fingerprint);
    expect(statSync(file).mode & 0o777, "a loosened mode is tightened again").to.equal(0o600);
    expect(await keyRows()).to.have.length(1);
    expect(await auditActions()).to.deep.equal(["desk_key.published"]);
  });

  it("refuses to start when the key file is missing but a key was published: one line naming the file; no key is written", async () => {
    const published = await open();
    rmSync(file);
    const before = await state();

    const { message } = await refusal();
    expect(message).to.include(file).and.include("DESK_KEY_FILE").and.include("DESK_KEY_ROTATE=1").and.include(published.fingerprint);
    expect(message).to.match(/missing/);
    expect(await state()).to.deep.equal(before);
    expect(existsSync(file)).to.equal(false);
  });

  it("refuses to start when the key file is missing and sealed mail waits, even with no key on record (a desk from before keys were recorded)", async () => {
    await queueSealed(deskKeyOf(await generateDeskKey(IDENTITY)));
    const before = await state();

    const { message } = await refusal();
    expect(message).to.include(file).and.include("DESK_KEY_FILE").and.include("DESK_KEY_ROTATE=1").and.include("1 sealed mail wait");
    expect(await state()).to.deep.equal(before);
    expect(await keyRows()).to.have.length(0);
  });

  it("refuses a key file that holds another key than the published one, naming both", async () => {
    const published = await open();
    const other = await generateDeskKey(IDENTITY);
    writeFileSync(file, other.armor(), { mode: 0o600 });
    const before = await state();

    const { message } = await refusal();
    expect(message).to.include(file).and.include(published.fingerprint).and.include(other.getFingerprint().toUpperCase()).and.include("DESK_KEY_ROTATE=1");
    expect(await state()).to.deep.equal(before);
  });

  for (const [title, content] of [
    ["not OpenPGP at all", "this is not a key\n"],
    ["a truncated key", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxVgEZ0\n-----END PGP PRIVATE KEY BLOCK-----\n"],
  ] as const) {
    it(`answers a corrupt key file (${title}) with one line naming its path, and leaves it as it is, with DESK_KEY_ROTATE=1 too`, async () => {
      await open();
      writeFileSync(file, content);
      const before = await state();
      for (const rotate of [false, true]) {
        const { message } = await refusal(rotate);
        expect(message).to.include(file).and.include("DESK_KEY_FILE").and.match(/not an armored OpenPGP private key/);
        expect(message).not.to.match(/^\s*at /m);
        expect(await state()).to.deep.equal(before);
      }
    });
  }

  it("DESK_KEY_ROTATE=1 makes a new key, keeps the old one, and the worker still delivers mail sealed to the old one", async () => {
    const old = await open();
    const sealedBefore = await queueSealed(old);

    const rotated = await open(true);
    expect(rotated.fingerprint).not.to.equal(old.fingerprint);
    expect((await openpgp.readPrivateKey({ armoredKey: readFileSync(file, "utf8") })).getFingerprint().toUpperCase()).to.equal(rotated.fingerprint);
    const kept = await openpgp.readPrivateKeys({ armoredKeys: readFileSync(retiredKeysFile(file), "utf8") });
    expect(kept.map((k) => k.getFingerprint().toUpperCase())).to.deep.equal([old.fingerprint]);
    expect(statSync(retiredKeysFile(file)).mode & 0o777).to.equal(0o600);
    const rows = await keyRows();
    expect(rows.map((r) => [r.fingerprint, r.retired_at !== null])).to.deep.equal([
      [old.fingerprint, true],
      [rotated.fingerprint, false],
    ]);
    const audit = (await db("audit_log").where({ action: "desk_key.rotated" }).select("details")) as { details: string }[];
    expect(audit).to.have.length(1);
    expect(JSON.parse(audit[0]!.details)).to.include({ from: old.fingerprint, to: rotated.fingerprint, oldKeyKept: true, cancelledMail: 0 });
    expect(lines.join("")).to.include("desk key rotated");

    // The worker opens the mail sealed before the rotation with the kept key, and the new mail with the new one.
    const sealedAfter = await queueSealed(rotated);
    const mailDir = path.join(dir, "mail");
    const run = await deliverDue({ db, clock, transport: fileTransport(mailDir), from: SENDER.from, logger: createLogger("silent"), deskKey: rotated });
    expect(run).to.deep.equal({ sent: 2, failed: 0, dead: 0 });
    for (const id of [sealedBefore, sealedAfter]) expect((await simpleParser(readFileSync(path.join(mailDir, `${id}.eml`)))).text).to.include(LINK);
  });

  it("rotates once per setting: left set it changes nothing more; after one start without it, it rotates again", async () => {
    await open();
    const rotated = await open(true);

    const again = await open(true);
    expect(again.fingerprint, "the flag left set does not rotate at every restart").to.equal(rotated.fingerprint);
    expect(lines.join("")).to.include("DESK_KEY_ROTATE=1 is still set");
    expect(await keyRows()).to.have.length(2);

    expect((await open(false)).fingerprint).to.equal(rotated.fingerprint);
    const next = await open(true);
    expect(next.fingerprint).not.to.equal(rotated.fingerprint);
    expect(next.retired.map((k) => k.getFingerprint().toUpperCase())).to.include(rotated.fingerprint);
    expect(await keyRows()).to.have.length(3);
  });

  it("DESK_KEY_ROTATE=1 with the key file lost: a new key, and the mail sealed to the lost key is cancelled, saying why", async () => {
    const lost = await open();
    const sealed = await queueSealed(lost);
    rmSync(file);

    const fresh = await open(true);
    expect(fresh.fingerprint).not.to.equal(lost.fingerprint);
    expect(existsSync(file)).to.equal(true);
    const mail = (await db("outbox").where({ id: sealed }).first()) as { status: string; last_error: string };
    expect(mail.status).to.equal("cancelled");
    expect(mail.last_error).to.include(lost.fingerprint).and.include("Send the link again");
    const audit = (await db("audit_log").where({ action: "desk_key.rotated" }).first("details")) as { details: string };
    expect(JSON.parse(audit.details)).to.include({ from: lost.fingerprint, to: fresh.fingerprint, oldKeyKept: false, cancelledMail: 1 });
    expect((await keyRows()).map((r) => r.retired_at !== null)).to.deep.equal([true, false]);
  });

  it("reads DESK_KEY_ROTATE as off unless it is set to a true value", () => {
    expect(loadConfig({}).deskKeyRotate).to.equal(false);
    expect(loadConfig({ DESK_KEY_ROTATE: "0" }).deskKeyRotate).to.equal(false);
    expect(loadConfig({ DESK_KEY_ROTATE: "1" }).deskKeyRotate).to.equal(true);
  });

  it("the server refuses to start with exit 2 and one stderr line naming the missing file", async function () {
    // A start from the TypeScript sources on a busy machine: the spawn's own limit, and room for it.
    this.timeout(90_000);
    await open();
    await db.destroy();
    rmSync(file);
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "test", VAR_DIR: dir, DATABASE_URL: database.url, DESK_KEY_FILE: file };
    delete env.DESK_KEY_ROTATE;
    const result = spawnSync(process.execPath, ["--import", "tsx", "src/main/server.ts"], { cwd: projectRoot, env, encoding: "utf8", timeout: 60_000 });
    db = openDatabase(database.url);
    expect(result.signal, `the server should exit by itself: ${result.stderr}`).to.equal(null);
    expect(result.status, result.stderr).to.equal(2);
    const stderr = result.stderr.trim();
    expect(stderr.split(/\r?\n/), stderr).to.have.length(1);
    expect(stderr).to.include(file).and.include("DESK_KEY_FILE").and.include("DESK_KEY_ROTATE=1");
    expect(existsSync(file), "no new key written").to.equal(false);
  });
});
