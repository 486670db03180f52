import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { appendAudit, GENESIS_HASH, rowHash, verifyAuditChain } from "../../src/audit/audit-log.js";
import { asDate, migrate, openDatabase, type Db } from "../../src/db.js";
import { projectRoot } from "../../src/paths.js";
import { freshDatabase, type TestDatabase } from "../support/database.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

const at = (minute: number) => new Date(Date.UTC(2026, 10, 23, 9, minute, 0));

async function auditCount(db: Db): Promise<number> {
  const row = (await db("audit_log").count({ n: "*" }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

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
  let t: TestApp;

  beforeEach(async () => {
    t = await startTestApp({ LOG_LEVEL: "silent" });
  });

  afterEach(async () => {
    await t.close();
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

describe("CLI audit-verify", function () {
  this.timeout(60_000);
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

  function auditVerify() {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "test", VAR_DIR: varDir, DATABASE_URL: database.url };
    return spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "audit-verify"], {
      cwd: projectRoot,
      env,
      encoding: "utf8",
      timeout: 20_000,
    });
  }

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

  it("reports an empty, freshly migrated audit log as intact", () => {
    const result = auditVerify();
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.include("intact");
    expect(result.stdout).to.include("0 rows");
  });
});
