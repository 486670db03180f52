import { expect } from "chai";
import request from "supertest";
import { migrationSource } from "../../migrations/index.js";
import { startTestApp } from "../support/test-app.js";
import { useTestApp } from "../support/use-test-app.js";

describe("/healthz and /readyz", () => {
  describe("with the worker in another process (WORKER=off)", () => {
    const t = useTestApp({ env: { WORKER: "off" } });

    it("/readyz is 503 naming the migrations not run, and 200 once they are; no session, no access log line", async () => {
      const ready = await request(t.app).get("/readyz").expect(200);
      expect(ready.text).to.equal("ready");
      expect(ready.headers["set-cookie"]).to.equal(undefined);

      // One migration back: the database is behind this version of the desk.
      await t.db.migrate.down({ migrationSource });
      const behind = await request(t.app).get("/readyz").expect(503);
      expect(behind.text).to.equal("not ready:\n1 database migration(s) not run\n");
      expect(behind.headers["set-cookie"]).to.equal(undefined);
      await request(t.app).get("/healthz").expect(200, "ok");

      await t.db.migrate.latest({ migrationSource });
      await request(t.app).get("/readyz").expect(200, "ready");

      // The probes leave no access log line; a page does (the log is on).
      await request(t.app).get("/login").expect(200);
      expect(t.logs()).to.include('"url":"/login"').and.not.include("/readyz").and.not.include("/healthz");
    });

    it("/readyz is 503 on a database that was never migrated", async () => {
      const tables: unknown = await t.db("knex_migrations").select("name");
      expect(tables).to.have.length.above(1);
      await t.db.schema.renameTable("knex_migrations", "knex_migrations_away");
      try {
        const res = await request(t.app).get("/readyz").expect(503);
        expect(res.text).to.match(/^not ready:\n\d+ database migration\(s\) not run\n$/);
        expect(Number(/(\d+) database/.exec(res.text)![1])).to.equal((tables as unknown[]).length);
      } finally {
        await t.db.schema.renameTable("knex_migrations_away", "knex_migrations");
      }
    });
  });

  describe("with the worker inline (the default)", () => {
    const t = useTestApp();

    it("/readyz waits for the tasks' first runs, and is 503 again when one has not run in three intervals and a minute", async () => {
      const before = await request(t.app).get("/readyz").expect(503);
      expect(before.text).to.include("task deliver-mail has not run yet").and.include("task purge-expired-sessions has not run yet");

      await t.scheduler.runDue();
      await request(t.app).get("/readyz").expect(200, "ready");

      // The quickest task is late after 3 of its intervals and a minute of slack; the slower ones are not yet.
      const allowed = (everyMs: number) => 3 * everyMs + 60_000;
      const quickest = Math.min(...t.scheduler.tasks.map((task) => task.everyMs));
      t.clock.advance(allowed(quickest));
      await request(t.app).get("/readyz").expect(200);
      t.clock.advance(1_000);
      const late = await request(t.app).get("/readyz").expect(503);
      const lateTasks = t.scheduler.tasks.filter((task) => allowed(task.everyMs) < allowed(quickest) + 1_000);
      expect(lateTasks.length).to.be.at.least(1).and.below(t.scheduler.tasks.length);
      expect(late.text).to.equal(`not ready:\n${lateTasks.map((task) => `task ${task.name} has not run in ${allowed(task.everyMs) / 1000} s\n`).join("")}`);

      await t.scheduler.runDue();
      await request(t.app).get("/readyz").expect(200, "ready");
    });
  });

  it("/healthz is 200 while the database answers and 503 naming only that once it is closed; /readyz too", async () => {
    const t = await startTestApp();
    try {
      const ok = await request(t.app).get("/healthz").expect(200);
      expect(ok.text).to.equal("ok");
      expect(ok.headers["set-cookie"]).to.equal(undefined);
      await t.reader.destroy();
      await t.db.destroy();
      const down = await request(t.app).get("/healthz").expect(503);
      expect(down.text).to.equal("database unavailable");
      await request(t.app).get("/readyz").expect(503, "not ready:\ndatabase unavailable\n");
    } finally {
      await t.close().catch(() => undefined);
    }
  });
});
