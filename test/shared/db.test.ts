import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase, type Db } from "../../src/shared/db.js";

// SQLite only, whatever DATABASE_URL says: PostgreSQL has no such lock (its writers wait on rows).
describe("SQLite: two connections to one file, as the desk and its CLI or a worker process are", () => {
  let dir: string;
  let desk: Db;
  let other: Db;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "vouchdesk-db-"));
    const url = `sqlite:${path.join(dir, "desk.sqlite")}`;
    desk = openDatabase(url);
    other = openDatabase(url);
    await desk.schema.createTable("counters", (t) => t.integer("n").notNullable());
    await desk("counters").insert({ n: 0 });
    // The other side gives up soon instead of waiting out the desk's 5 s (its one pooled connection keeps this).
    await other.raw("PRAGMA busy_timeout = 200");
  });
  afterEach(async () => {
    await Promise.all([desk.destroy(), other.destroy()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("a transaction that reads and then writes is not refused when the other connection writes in between: it holds the write lock from its start, and the other waits", async () => {
    let otherWrite = "not tried";
    await desk.transaction(async (trx) => {
      const [row] = (await trx("counters").select("n")) as { n: number }[];
      // Deferred (knex's own BEGIN), the other's insert went in here and the update below failed with SQLITE_BUSY.
      otherWrite = await other("counters")
        .insert({ n: 100 })
        .then(() => "written", (err: Error & { code?: string }) => err.code ?? err.message);
      await trx("counters").update({ n: row!.n + 1 });
    });
    expect(otherWrite, "the other connection had to wait for the transaction").to.equal("SQLITE_BUSY");
    await other("counters").insert({ n: 100 });
    expect(((await desk("counters").select("n").orderBy("n")) as { n: number }[]).map((r) => r.n)).to.deep.equal([1, 100]);
  });

  it("a transaction that fails still lets the lock go: the other connection writes at once after it", async () => {
    const failed = await desk
      .transaction(async (trx) => {
        await trx("counters").update({ n: 5 });
        throw new Error("the rule said no");
      })
      .then(() => "committed", (err: Error) => err.message);
    expect(failed).to.equal("the rule said no");
    await other("counters").insert({ n: 100 });
    expect(((await desk("counters").select("n").orderBy("n")) as { n: number }[]).map((r) => r.n)).to.deep.equal([0, 100]);
  });
});
