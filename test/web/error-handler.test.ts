import { expect } from "chai";
import express from "express";
import request from "supertest";
import { isPostgres, openDatabase, type Db } from "../../src/shared/db.js";
import { createLogger } from "../../src/shared/logger.js";
import { errorHandler } from "../../src/web/errors.js";
import { useViews } from "../../src/web/views.js";
import { browser } from "../support/http.js";
import { freePort } from "../support/postgres-cluster.js";
import { DEMO_PASSWORD, startTestApp, type TestApp } from "../support/test-app.js";
import { signedIn } from "../support/sign-in.js";
import { csrfFrom } from "../support/forms.js";
import { count } from "../support/rows.js";

/** Text of a database error that must never reach a page. */
const DATABASE_TEXT = /SQLITE|ECONNREFUSED|no such table|select|insert/i;
const INCIDENT = /Incident reference: <strong>([0-9a-f]{10})<\/strong>/;

describe("the error handler: 503 while the database is away, 500 with an incident id otherwise", () => {
  let full: Db;
  let unreachable: Db;
  let lines: string[];
  let app: express.Express;

  before(async () => {
    // Real failures: a SQLite database that may not grow a single page, a PostgreSQL port nobody listens on.
    full = openDatabase("sqlite::memory:");
    await full.raw("PRAGMA max_page_count = 1");
    unreachable = openDatabase(`postgres://vouchdesk@127.0.0.1:${await freePort()}/nothing`);
    lines = [];
    app = express();
    useViews(app, false);
    app.get("/full", async () => void (await full.schema.createTable("more", (t) => t.text("x"))));
    app.get("/unreachable", async () => void (await unreachable.raw("select 1")));
    app.get("/bug", async () => void (await full("no_such_table").where({ username: "value-of-a-secret-column" }).select()));
    app.use(errorHandler(createLogger("info", { write: (line: string) => void lines.push(line) })));
  });
  after(async () => {
    await full.destroy();
    await unreachable.destroy();
  });
  beforeEach(() => (lines.length = 0));

  for (const [page, code] of [
    ["/full", "SQLITE_FULL"],
    ["/unreachable", "ECONNREFUSED"],
  ]) {
    it(`answers ${code} with 503 "briefly unavailable" and Retry-After, the code only in the log`, async () => {
      const res = await request(app).get(page!).expect(503);
      expect(res.text).to.include("The desk is briefly unavailable");
      expect(res.headers["retry-after"]).to.equal("30");
      expect(res.text).not.to.match(DATABASE_TEXT);
      expect(res.text).not.to.match(INCIDENT);
      expect(lines.join("")).to.include("database unavailable").and.include(code);
    });
  }

  it("answers any other failure with 500 and an incident id that finds the details in the log, never on the page", async () => {
    const res = await request(app).get("/bug").expect(500);
    expect(res.text).to.include("unexpected problem");
    expect(res.text).not.to.match(DATABASE_TEXT);
    expect(res.text).not.to.match(/at .*\.(ts|js):\d+/);
    const incident = INCIDENT.exec(res.text)?.[1];
    expect(incident, res.text).to.be.a("string");
    const logged = lines.map((l) => JSON.parse(l) as { incident?: string; err?: { message: string } }).find((l) => l.incident === incident);
    expect(logged?.err?.message).to.include("no such table: no_such_table");
    // The failed query is logged with `?` in place of its values.
    expect(lines.join("")).not.to.include("value-of-a-secret-column");
    const other = INCIDENT.exec((await request(app).get("/bug").expect(500)).text)?.[1];
    expect(other).to.be.a("string").and.not.equal(incident);
  });
});

/**
 * Makes the desk's database refuse every write, as a read-only file or a standby would, and
 * gives writes back. On PostgreSQL the pool starts again, so every connection takes the setting.
 */
async function refuseWrites(t: TestApp, refuse: boolean): Promise<void> {
  if (!isPostgres(t.db)) return void (await t.db.raw(`PRAGMA query_only = ${refuse ? "ON" : "OFF"}`));
  await t.db.transaction(async (trx) => {
    await trx.raw("SET TRANSACTION READ WRITE"); // once refused, this connection's own default is read-only too
    const { rows } = (await trx.raw("select current_database() as name")) as { rows: { name: string }[] };
    await trx.raw(`ALTER DATABASE "${rows[0]!.name}" SET default_transaction_read_only = ${refuse ? "on" : "off"}`);
  });
  await t.db.destroy();
  t.db.initialize();
}

describe("requests while the database refuses writes", () => {
  let t: TestApp;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  beforeEach(async () => {
    t = await startTestApp();
    rejections.length = 0;
    process.on("unhandledRejection", onRejection);
  });
  afterEach(async () => {
    process.off("unhandledRejection", onRejection);
    await refuseWrites(t, false);
    await t.close();
  });

  function expectUnavailable(res: request.Response): void {
    expect(res.status, res.text.slice(0, 300)).to.equal(503);
    expect(res.text).to.include("briefly unavailable");
    expect(res.text).not.to.include("_csrf");
    expect(res.text).not.to.match(DATABASE_TEXT);
    expect(res.headers["set-cookie"]).to.equal(undefined);
  }

  it("answers a new visitor's sign-in page with 503 (its new session cannot be saved) and the form once writes work", async () => {
    await refuseWrites(t, true);
    expectUnavailable(await request(t.app).get("/login"));
    expect(rejections).to.deep.equal([]);
    await refuseWrites(t, false);
    const page = await request(t.app).get("/login").expect(200);
    expect(page.text).to.include('name="_csrf"');
  });

  it("answers a signed-in page whose session must be saved with 503, with no token, and keeps the login signed in", async () => {
    const carol = await signedIn(t, "carol");
    const token = csrfFrom((await carol.get("/").expect(200)).text);
    await refuseWrites(t, true);
    t.clock.advance(2 * 60_000); // the session's activity is written once a minute
    expectUnavailable(await carol.get("/"));
    await refuseWrites(t, false);
    expect((await carol.get("/").expect(200)).text).to.include("Sign out");
    expect(t.logs()).not.to.include(token);
    expect(rejections).to.deep.equal([]);
  });

  it("answers a sign-in with 503, signs nobody in and writes nothing", async () => {
    const visitor = browser(t.app);
    const _csrf = csrfFrom((await visitor.get("/login").expect(200)).text);
    const before = { sessions: await count(t, "sessions"), audit: await count(t, "audit_log") };
    await refuseWrites(t, true);
    expectUnavailable(await visitor.post("/login").type("form").send({ _csrf, username: "dave", password: DEMO_PASSWORD }));
    await refuseWrites(t, false);
    expect({ sessions: await count(t, "sessions"), audit: await count(t, "audit_log") }).to.deep.equal(before);
    await visitor.get("/").expect(303).expect("location", "/login");
    expect(t.logs()).not.to.include(_csrf);
    expect(rejections).to.deep.equal([]);
  });
});

/** Makes every session write fail with an error that is not an outage (a trigger refusing it), or lets writes through again. */
async function refuseSessionWrites(t: TestApp, refuse: boolean): Promise<void> {
  if (!isPostgres(t.db)) {
    for (const op of ["INSERT", "UPDATE"]) {
      await t.db.raw(`DROP TRIGGER IF EXISTS refuse_session_${op.toLowerCase()}`);
      if (refuse) await t.db.raw(`CREATE TRIGGER refuse_session_${op.toLowerCase()} BEFORE ${op} ON sessions BEGIN SELECT RAISE(ABORT, 'session writes refused by the test'); END`);
    }
    return;
  }
  await t.db.raw("DROP TRIGGER IF EXISTS refuse_session_writes ON sessions");
  if (!refuse) return;
  await t.db.raw("CREATE OR REPLACE FUNCTION refuse_session_writes() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'session writes refused by the test'; END $$ LANGUAGE plpgsql");
  await t.db.raw("CREATE TRIGGER refuse_session_writes BEFORE INSERT OR UPDATE ON sessions FOR EACH ROW EXECUTE FUNCTION refuse_session_writes()");
}

describe("a session save that fails for another reason than an outage", () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await startTestApp({ LOG_LEVEL: "info" });
  });
  afterEach(async () => {
    await refuseSessionWrites(t, false);
    await t.close();
  });

  it("answers one whole 500 page with an incident id and no cookie for the session it could not store (the error page does not save it again)", async () => {
    const before = await count(t, "sessions");
    await refuseSessionWrites(t, true);
    const res = await request(t.app).get("/login");
    expect(res.status, res.text.slice(0, 300)).to.equal(500);
    expect(res.text).to.match(INCIDENT).and.include("</html>");
    expect(res.text).not.to.include("_csrf");
    expect(res.headers["set-cookie"]).to.equal(undefined);
    const failures = t.logs().split("\n").filter((line) => line.includes("session write failed"));
    expect(failures, "one failure, logged with the page's incident id").to.have.length(1);
    expect(failures[0]).to.include(INCIDENT.exec(res.text)![1]);
    expect(await count(t, "sessions")).to.equal(before);

    await refuseSessionWrites(t, false);
    expect((await request(t.app).get("/login").expect(200)).text).to.include('name="_csrf"');
  });
});
