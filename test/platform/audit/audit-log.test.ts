import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as openpgp from "openpgp";
import { anchorAuditHead, auditAnchorFile, readAuditAnchor } from "../../../src/platform/audit/audit-anchor.js";
import { appendAudit, GENESIS_HASH, rowHash, verifyAuditChain } from "../../../src/platform/audit/audit-log.js";
import { systemClock } from "../../../src/shared/clock.js";
import { loadConfig } from "../../../src/shared/config.js";
import { asDate, migrate, openDatabase, type Db } from "../../../src/shared/db.js";
import { createLogger } from "../../../src/shared/logger.js";
import { deskKeyOf, generateDeskKey } from "../../../src/platform/mail/desk-key.js";
import { openDeskKey } from "../../../src/main/desk-key-start.js";
import { projectRoot } from "../../../src/shared/paths.js";
import { openRuntime } from "../../../src/main/runtime.js";
import { freshDatabase, type TestDatabase } from "../../support/database.js";
import { testDeskKey } from "../../support/test-app.js";
import { count } from "../../support/rows.js";
import { useTestApp } from "../../support/use-test-app.js";

const at = (minute: number) => new Date(Date.UTC(2026, 10, 23, 9, minute, 0));

const auditCount = (db: Db) => count(db, "audit_log");

async function lastSeq(db: Db): Promise<number> {
  const row = (await db("audit_log").max({ seq: "seq" }).first()) as { seq: number | string | null } | undefined;
  return Number(row?.seq ?? 0);
}

/** Appends `n` entries and returns the seq of each, in order. */
async function appendSome(db: Db, n: number): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < n; i++) {
    await appendAudit(
      db,
      { action: `test.event_${i}`, actor: "tester", actorId: i, ip: "203.0.113.7", subject: `thing:${i}`, details: { i, note: "before" } },
      at(i),
    );
    seqs.push(await lastSeq(db));
  }
  return seqs;
}

describe("audit log hash chain", () => {
  const t = useTestApp({ env: { LOG_LEVEL: "silent" } });

  beforeEach(async () => {
  });

  it("verifies an intact chain and counts every row, the demo-data row included", async () => {
    const before = await verifyAuditChain(t.db);
    expect(before).to.deep.equal({ ok: true, rows: await auditCount(t.db) });
    expect(before.rows).to.equal(1); // demo_data.loaded

    const seqs = await appendSome(t.db, 5);
    expect(seqs).to.deep.equal([2, 3, 4, 5, 6]);

    const check = await verifyAuditChain(t.db);
    expect(check).to.deep.equal({ ok: true, rows: before.rows + 5 });
  });

  it("links each row to the previous row's hash, starting from the genesis hash", async () => {
    await appendSome(t.db, 3);
    const rows = (await t.db("audit_log").orderBy("seq")) as { seq: number; prev_hash: string; hash: string }[];
    expect(rows[0]!.prev_hash).to.equal(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i]!.prev_hash).to.equal(rows[i - 1]!.hash);
      expect(rows[i]!.hash).to.match(/^[0-9a-f]{64}$/);
    }
  });

  it("detects an UPDATE of one row's details as altered, naming that row", async () => {
    const seqs = await appendSome(t.db, 4);
    const target = seqs[2]!;
    await t.db("audit_log").where({ seq: target }).update({ details: JSON.stringify({ i: 2, note: "after" }) });

    const check = await verifyAuditChain(t.db);
    expect(check.ok).to.equal(false);
    if (check.ok) return;
    expect(check.badSeq).to.equal(target);
    expect(check.problem).to.include("altered");
    expect(check.rows).to.equal(target - 1);
  });

  it("detects an UPDATE of one row's action as altered", async () => {
    const seqs = await appendSome(t.db, 3);
    const target = seqs[0]!;
    await t.db("audit_log").where({ seq: target }).update({ action: "test.innocent" });

    const check = await verifyAuditChain(t.db);
    expect(check.ok).to.equal(false);
    if (check.ok) return;
    expect(check.badSeq).to.equal(target);
    expect(check.problem).to.include("altered");
  });

  it("detects the DELETE of a middle row, naming the missing seq", async () => {
    const seqs = await appendSome(t.db, 5);
    const target = seqs[2]!;
    await t.db("audit_log").where({ seq: target }).delete();

    const check = await verifyAuditChain(t.db);
    expect(check.ok).to.equal(false);
    if (check.ok) return;
    expect(check.badSeq).to.equal(target);
    expect(check.problem).to.include("missing");
    expect(check.rows).to.equal(target - 1);
  });

  it("detects the DELETE of the first row", async () => {
    await appendSome(t.db, 2);
    await t.db("audit_log").where({ seq: 1 }).delete();

    const check = await verifyAuditChain(t.db);
    expect(check.ok).to.equal(false);
    if (check.ok) return;
    expect(check.badSeq).to.equal(1);
    expect(check.rows).to.equal(0);
  });

  it("detects a changed prev_hash, even when the row's own hash is recomputed to match", async () => {
    const seqs = await appendSome(t.db, 4);
    const target = seqs[1]!;
    const row = (await t.db("audit_log").where({ seq: target }).first()) as Parameters<typeof rowHash>[0];
    const forged = {
      seq: Number(row.seq),
      at: asDate(row.at)!,
      actor_id: row.actor_id,
      actor: row.actor,
      ip: row.ip,
      action: row.action,
      subject: row.subject,
      details: row.details,
      prev_hash: "f".repeat(64),
    };
    await t.db("audit_log").where({ seq: target }).update({ prev_hash: forged.prev_hash, hash: rowHash(forged) });

    const check = await verifyAuditChain(t.db);
    expect(check.ok).to.equal(false);
    if (check.ok) return;
    expect(check.badSeq).to.equal(target);
    expect(check.problem).to.include("does not follow");
  });

  it("keeps no row when appendAudit runs in a transaction that rolls back", async () => {
    const before = await auditCount(t.db);
    let thrown: unknown;
    try {
      await t.db.transaction(async (trx) => {
        await appendAudit(trx, { action: "test.rolled_back", details: { x: 1 } }, at(1));
        // The row is visible inside the transaction …
        const inside = (await trx("audit_log").where({ action: "test.rolled_back" })) as unknown[];
        expect(inside).to.have.length(1);
        throw new Error("roll back");
      });
    } catch (err) {
      thrown = err;
    }
    expect((thrown as Error | undefined)?.message).to.equal("roll back");

    // … and gone after the rollback, leaving the chain intact and the next append in place.
    expect(await auditCount(t.db)).to.equal(before);
    expect(await t.db("audit_log").where({ action: "test.rolled_back" })).to.have.length(0);
    await appendAudit(t.db, { action: "test.after_rollback" }, at(2));
    expect(await verifyAuditChain(t.db)).to.deep.equal({ ok: true, rows: before + 1 });
    expect(await lastSeq(t.db)).to.equal(before + 1);
  });

  it("serialises concurrent appends into one unbroken chain", async () => {
    const before = await auditCount(t.db);
    await Promise.all(Array.from({ length: 10 }, (_, i) => appendAudit(t.db, { action: `test.parallel_${i}` }, at(i))));
    expect(await verifyAuditChain(t.db)).to.deep.equal({ ok: true, rows: before + 10 });
  });
});

describe("audit anchor: the chain's head kept outside the table", () => {
  const t = useTestApp({ env: { LOG_LEVEL: "info" } });

  beforeEach(async () => {
  });

  it("the anchor-audit-head task writes the head, signed by the desk key, to its file and to the log; an unchanged head is not written again", async () => {
    await appendSome(t.db, 3);
    const head = (await t.db("audit_log").orderBy("seq", "desc").first("seq", "hash")) as { seq: number; hash: string };

    const first = await t.scheduler.run("anchor-audit-head");
    expect(first).to.deep.equal({ ran: true, status: "done", result: `row ${head.seq} anchored` });
    const read = await readAuditAnchor(t.auditAnchorFile, async () => [(await testDeskKey()).privateKey]);
    expect(read.kind).to.equal("anchor");
    if (read.kind !== "anchor") return;
    expect([read.anchor.seq, read.anchor.hash, read.anchor.at.getTime()]).to.deep.equal([Number(head.seq), head.hash, t.clock.now().getTime()]);
    const logged = t.logs().split("\n").filter((line) => line.includes("audit head anchored"));
    expect(logged).to.have.length(1);
    expect(JSON.parse(logged[0]!)).to.deep.include({ auditAnchor: { seq: Number(head.seq), hash: head.hash, at: t.clock.now().toISOString() }, signed: readFileSync(t.auditAnchorFile, "utf8") });

    const again = await t.scheduler.run("anchor-audit-head");
    expect(again).to.deep.include({ result: `row ${head.seq} was already anchored` });
    expect(t.logs().split("\n").filter((line) => line.includes("audit head anchored"))).to.have.length(1);
  });

  it("refuses an anchor signed by another key, or whose signed line was edited", async () => {
    await appendSome(t.db, 2);
    await t.scheduler.run("anchor-audit-head");
    const deskKeys = async () => [(await testDeskKey()).privateKey];
    const genuine = readFileSync(t.auditAnchorFile, "utf8");

    writeFileSync(t.auditAnchorFile, genuine.replace(/seq=(\d+)/, (_m, seq: string) => `seq=${Number(seq) - 1}`));
    const edited = await readAuditAnchor(t.auditAnchorFile, deskKeys);
    expect(edited.kind).to.equal("invalid");

    const stranger = await generateDeskKey({ name: "Not the desk", email: "mallory@example.com" });
    const forged = await openpgp.sign({ message: await openpgp.createCleartextMessage({ text: genuine.split(/\r?\n/).find((l) => l.startsWith("Vouchdesk audit anchor:"))! }), signingKeys: stranger });
    writeFileSync(t.auditAnchorFile, forged);
    const read = await readAuditAnchor(t.auditAnchorFile, deskKeys);
    expect(read).to.deep.include({ kind: "invalid" });
    if (read.kind === "invalid") expect(read.problem).to.include("not signed by the desk key");
  });
});

describe("audit anchor at shutdown", function () {
  this.timeout(30_000);

  it("a process that closes its runtime leaves the head it saw anchored", async () => {
    const database = await freshDatabase();
    const varDir = mkdtempSync(path.join(tmpdir(), "vouchdesk-anchor-shutdown-"));
    try {
      const config = loadConfig({ NODE_ENV: "test", VAR_DIR: varDir, DATABASE_URL: database.url, SESSION_SECRET: "s".repeat(40) });
      const runtime = await openRuntime(config, createLogger("silent"), systemClock);
      await appendSome(runtime.db, 2);
      const head = (await runtime.db("audit_log").orderBy("seq", "desc").first("seq", "hash")) as { seq: number; hash: string };
      const deskKey = runtime.mailer.deskKey;
      await runtime.close();

      const read = await readAuditAnchor(auditAnchorFile(varDir), () => Promise.resolve([deskKey.privateKey]));
      expect(read.kind === "anchor" && [read.anchor.seq, read.anchor.hash]).to.deep.equal([Number(head.seq), head.hash]);
    } finally {
      await database.drop();
      rmSync(varDir, { recursive: true, force: true });
    }
  });
});

describe("CLI audit-verify", function () {
  // Up to three CLI runs a test, each from the TypeScript sources (60 s limit apiece on a busy machine).
  this.timeout(200_000);
  let database: TestDatabase;
  let varDir: string;

  beforeEach(async () => {
    database = await freshDatabase();
    varDir = mkdtempSync(path.join(tmpdir(), "vouchdesk-audit-cli-"));
  });

  afterEach(async () => {
    await database.drop();
    rmSync(varDir, { recursive: true, force: true });
  });

  /** Opens the database, runs `fn`, and closes it again so the CLI has the SQLite file to itself. */
  async function withDb(fn: (db: Db) => Promise<void>): Promise<void> {
    const db = openDatabase(database.url);
    try {
      await fn(db);
    } finally {
      await db.destroy();
    }
  }

  function cli(command: "audit-verify" | "audit-reanchor") {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "test", VAR_DIR: varDir, DATABASE_URL: database.url };
    return spawnSync(process.execPath, ["--import", "tsx", "src/main/cli.ts", command], {
      cwd: projectRoot,
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
  }
  const auditVerify = () => cli("audit-verify");

  it("exits 0 and reports an intact chain, then exits 1 naming the altered row after tampering", async () => {
    await withDb(async (db) => {
      await migrate(db);
      for (let i = 0; i < 4; i++) await appendAudit(db, { action: `test.cli_${i}`, details: { i } }, at(i));
    });

    const good = auditVerify();
    expect(good.status, good.stderr).to.equal(0);
    expect(good.stdout).to.include("intact");
    expect(good.stdout).to.include("4 rows");

    await withDb(async (db) => {
      await db("audit_log").where({ seq: 3 }).update({ details: JSON.stringify({ i: 99 }) });
    });

    const bad = auditVerify();
    expect(bad.status, bad.stderr).to.equal(1);
    expect(bad.stdout).to.include("row 3");
    expect(bad.stdout).not.to.include("intact");
  });

  it("exits 1 naming the missing row after a middle row is deleted", async () => {
    await withDb(async (db) => {
      await migrate(db);
      for (let i = 0; i < 4; i++) await appendAudit(db, { action: `test.cli_${i}` }, at(i));
      await db("audit_log").where({ seq: 2 }).delete();
    });

    const bad = auditVerify();
    expect(bad.status, bad.stderr).to.equal(1);
    expect(bad.stdout).to.include("row 2");
    expect(bad.stdout).to.include("missing");
  });

  it("reports an empty, freshly migrated audit log as intact, saying there is no anchor yet", () => {
    const result = auditVerify();
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.include("intact");
    expect(result.stdout).to.include("0 rows");
    expect(result.stdout).to.include("No anchor");
  });

  /** The desk as a start makes it (key file in VAR_DIR, recorded), with its head anchored now. */
  async function anchorNow(db: Db): Promise<void> {
    const logger = createLogger("silent");
    const file = loadConfig({ VAR_DIR: varDir }).deskKeyFile;
    const deskKey = await openDeskKey({ db, clock: systemClock, logger }, { file, rotate: false, identity: { name: "Vouchdesk", email: "desk@vouchdesk.localhost" } });
    await anchorAuditHead({ db, clock: systemClock, logger, deskKey, file: auditAnchorFile(varDir) });
  }

  it("takes rows written after the anchor as normal, and catches the newest rows deleted behind it", async () => {
    await withDb(async (db) => {
      await migrate(db);
      for (let i = 0; i < 3; i++) await appendAudit(db, { action: `test.cli_${i}` }, at(i));
      await anchorNow(db);
      for (let i = 3; i < 5; i++) await appendAudit(db, { action: `test.cli_${i}` }, at(i));
    });
    // The desk key's own audit row is row 4: three rows, the key, then two more.
    const ahead = auditVerify();
    expect(ahead.status, ahead.stdout + ahead.stderr).to.equal(0);
    expect(ahead.stdout).to.include("intact").and.include("6 rows").and.include("(row 4)").and.include("2 newer rows written since");

    await withDb(async (db) => {
      await anchorNow(db);
      await db("audit_log").where("seq", ">", 4).delete();
      expect(await verifyAuditChain(db), "the chain alone still looks whole").to.deep.equal({ ok: true, rows: 4 });
    });
    const bad = auditVerify();
    expect(bad.status, bad.stdout + bad.stderr).to.equal(1);
    expect(bad.stdout).to.include("BROKEN").and.include("the table ends at row 4").and.include("holds row 6").and.include("the newest 2 rows were deleted");
    expect(bad.stdout).not.to.include("intact");
  });

  it("catches newest rows deleted and replaced by a new, well-chained row", async () => {
    await withDb(async (db) => {
      await migrate(db);
      for (let i = 0; i < 3; i++) await appendAudit(db, { action: `test.cli_${i}` }, at(i));
      await anchorNow(db);
      await db("audit_log").where({ seq: 4 }).delete();
      await appendAudit(db, { action: "test.innocent" }, at(9));
      expect(await verifyAuditChain(db)).to.deep.equal({ ok: true, rows: 4 });
    });
    const bad = auditVerify();
    expect(bad.status, bad.stdout + bad.stderr).to.equal(1);
    expect(bad.stdout).to.include("BROKEN").and.include("row 4 is not the row anchored");
  });

  it("never moves the anchor back: with the newest rows deleted, the task fails and a shutdown keeps the old anchor, until audit-reanchor", async () => {
    await withDb(async (db) => {
      await migrate(db);
      for (let i = 0; i < 3; i++) await appendAudit(db, { action: `test.cli_${i}` }, at(i));
    });
    const lines: string[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(line) });
    const config = loadConfig({ NODE_ENV: "test", VAR_DIR: varDir, DATABASE_URL: database.url, SESSION_SECRET: "s".repeat(40) });
    const runtime = await openRuntime(config, logger, systemClock);
    // Row 4 is the desk key's publication; rows 5 and 6 follow, anchored, then deleted.
    for (let i = 3; i < 5; i++) await appendAudit(runtime.db, { action: `test.cli_${i}` }, at(i));
    expect(await runtime.scheduler.run("anchor-audit-head")).to.deep.include({ status: "done", result: "row 6 anchored" });
    const file = auditAnchorFile(varDir);
    const evidence = readFileSync(file, "utf8");
    await runtime.db("audit_log").where("seq", ">", 4).delete();

    const run = await runtime.scheduler.run("anchor-audit-head");
    expect(run).to.deep.include({ ran: true, status: "failed" });
    const problem = "the table ends at row 4, but the anchor of";
    expect(run.ran && run.result).to.include(problem).and.include("the newest 2 rows were deleted").and.include("audit-reanchor");
    const task = (await runtime.db("tasks").where({ name: "anchor-audit-head" }).first("status", "last_error")) as { status: string; last_error: string };
    expect(task.status).to.equal("failed");
    expect(task.last_error).to.include(problem);
    await runtime.close();

    const kept = lines.map((l) => JSON.parse(l) as { level: number; msg: string; problem?: string }).filter((l) => l.msg.startsWith("audit anchor kept"));
    expect(kept, "the task and the shutdown each log the refusal").to.have.length(2);
    expect(kept.every((l) => l.level === 50 && l.problem?.includes("the newest 2 rows were deleted"))).to.equal(true);
    expect(readFileSync(file, "utf8"), "the anchor file is the evidence, unchanged").to.equal(evidence);
    const broken = auditVerify();
    expect(broken.status, broken.stdout + broken.stderr).to.equal(1);
    expect(broken.stdout).to.include("BROKEN").and.include("holds row 6");

    const reanchored = cli("audit-reanchor");
    expect(reanchored.status, reanchored.stdout + reanchored.stderr).to.equal(0);
    expect(reanchored.stdout).to.include("row 5 anchored").and.include("it replaced the anchor of").and.include("(row 6; the table ends at row 4");
    await withDb(async (db) => {
      const row = (await db("audit_log").where({ seq: 5 }).first("action", "actor", "details")) as { action: string; actor: string; details: string };
      expect([row.action, row.actor]).to.deep.equal(["audit.reanchored", "cli"]);
      expect(JSON.parse(row.details)).to.deep.include({ file, replaced: { seq: 6, hash: /hash=([0-9a-f]{64})/.exec(evidence)![1], at: /at=(\S+)/.exec(evidence)![1] } });
    });
    const intact = auditVerify();
    expect(intact.status, intact.stdout + intact.stderr).to.equal(0);
    expect(intact.stdout).to.include("intact").and.include("(row 5)");
  });

  it("refuses to re-anchor a chain that does not verify, leaving the anchor file as it was", async () => {
    await withDb(async (db) => {
      await migrate(db);
      for (let i = 0; i < 3; i++) await appendAudit(db, { action: `test.cli_${i}` }, at(i));
      await anchorNow(db);
      await db("audit_log").where({ seq: 2 }).update({ action: "test.rewritten" });
    });
    const file = auditAnchorFile(varDir);
    const before = readFileSync(file, "utf8");
    const refused = cli("audit-reanchor");
    expect(refused.status, refused.stdout + refused.stderr).to.equal(1);
    expect(refused.stdout).to.include("Not re-anchored").and.include("BROKEN at row 2");
    expect(readFileSync(file, "utf8")).to.equal(before);
    await withDb(async (db) => {
      expect(await db("audit_log").where({ action: "audit.reanchored" }).first()).to.equal(undefined);
    });
  });

  it("exits 1 when the anchor is not signed by the desk key", async () => {
    await withDb(async (db) => {
      await migrate(db);
      await appendAudit(db, { action: "test.cli_0" }, at(0));
      await anchorNow(db);
    });
    const file = auditAnchorFile(varDir);
    const stranger = deskKeyOf(await generateDeskKey({ name: "Not the desk", email: "mallory@example.com" }));
    const line = readFileSync(file, "utf8").split(/\r?\n/).find((l) => l.startsWith("Vouchdesk audit anchor:"))!;
    writeFileSync(file, await openpgp.sign({ message: await openpgp.createCleartextMessage({ text: line.replace(/seq=\d+/, "seq=1") }), signingKeys: stranger.privateKey }));
    const bad = auditVerify();
    expect(bad.status, bad.stdout + bad.stderr).to.equal(1);
    expect(bad.stdout).to.include("INVALID").and.include(file).and.include("not signed by the desk key");
  });
});
