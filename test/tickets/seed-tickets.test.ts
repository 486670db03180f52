import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { loadDemoData } from "../../src/dev/demo-data.js";
import { systemClock } from "../../src/shared/clock.js";
import { asDate, isPostgres, migrate, openDatabase, type Db } from "../../src/shared/db.js";
import { projectRoot } from "../../src/shared/paths.js";
import { insertRows, rowsPerStatement } from "../../src/dev/seed-bulk.js";
import { seedLongTimeline, seedTickets } from "../../src/dev/seed-tickets.js";
import { startClock } from "../../src/tickets/sla-service.js";
import { insertTicket } from "../../src/tickets/tickets-store.js";
import { freshDatabase, type TestDatabase } from "../support/database.js";
import { DEMO_PASSWORD } from "../support/test-app.js";

const DAY = 86_400_000;

describe("seed-tickets (bench data)", function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let db: Db;

  beforeEach(async () => {
    database = await freshDatabase();
    db = openDatabase(database.url);
    await migrate(db);
    await loadDemoData(db, systemClock, DEMO_PASSWORD);
  });

  afterEach(async () => {
    await db.destroy();
    await database.drop();
  });

  const count = async (table: string) => Number(((await db(table).count({ n: "*" }).first()) as { n: number | string }).n);

  /** The counts table and a GROUP BY over tickets, as { status: n } without zero entries. */
  async function statusCounts() {
    const table = (await db("ticket_status_counts").select("status", "n")) as { status: string; n: number | string }[];
    const grouped = (await db("tickets").select("status").count({ n: "*" }).groupBy("status")) as { status: string; n: number | string }[];
    const asMap = (rows: { status: string; n: number | string }[]) => Object.fromEntries(rows.filter((r) => Number(r.n) > 0).map((r) => [r.status, Number(r.n)]));
    return { table: asMap(table), grouped: asMap(grouped) };
  }

  it("adds exactly N tickets over new accounts, with consistent requesters, assignees, events, times and status counts", async () => {
    const now = new Date();
    const result = await seedTickets(db, { tickets: 2_000, batchSize: 700, seed: 42, now });
    expect(result).to.include({ tickets: 2_000, accounts: 40 });
    expect(await count("tickets")).to.equal(2_000);

    const { table, grouped } = await statusCounts();
    expect(table).to.deep.equal(grouped);
    expect(Object.keys(grouped).length, "several statuses").to.be.greaterThan(3);

    // Every requester is a login of the ticket's account; every account has one primary and 2–3 secondaries.
    const strangers = (await db("tickets").join("users", "users.id", "tickets.requester_id").whereRaw("users.account_id <> tickets.account_id").count({ n: "*" }).first()) as { n: string | number };
    expect(Number(strangers.n)).to.equal(0);
    const perAccount = (await db("users").whereNotNull("account_id").whereNot("account_id", 1).select("account_id").select(db.raw("sum(case when role = 'primary' then 1 else 0 end) as primaries"), db.raw("count(*) as logins")).groupBy("account_id")) as { primaries: number | string; logins: number | string }[];
    expect(perAccount).to.have.length(40);
    for (const a of perAccount) {
      expect(Number(a.primaries)).to.equal(1);
      expect(Number(a.logins)).to.be.within(3, 4);
    }
    expect(await db("users").whereIn("role", ["primary", "secondary"]).whereNot("account_id", 1).whereNotNull("password_hash")).to.have.length(0);
    // They stand for customers who have used the desk: no first-password link from support.
    expect(await db("users").whereIn("role", ["primary", "secondary"]).whereNull("activated_at")).to.have.length(0);
    expect(await count("users")).to.equal(6 + result.logins);

    // Assignees are agents; new tickets are unassigned.
    const assigneeRoles = (await db("tickets").join("users", "users.id", "tickets.assignee_id").distinct("users.role")) as { role: string }[];
    expect(assigneeRoles.map((r) => r.role)).to.deep.equal(["agent"]);
    expect(await db("tickets").where({ status: "new" }).whereNotNull("assignee_id")).to.have.length(0);

    // One or two events per ticket, the first the requester's, the last at the ticket's updated_at.
    expect(await count("ticket_events")).to.equal(result.events);
    const perTicket = (await db("ticket_events").select("ticket_id").count({ n: "*" }).groupBy("ticket_id")) as { n: number | string }[];
    expect(perTicket).to.have.length(2_000);
    expect(perTicket.every((t) => Number(t.n) === 1 || Number(t.n) === 2)).to.equal(true);
    const rows = (await db("tickets").select("id", "created_at", "updated_at").orderBy("id")) as { created_at: unknown; updated_at: unknown }[];
    const created = rows.map((r) => asDate(r.created_at)!.getTime());
    const updated = rows.map((r) => asDate(r.updated_at)!.getTime());
    expect(created.every((t, i) => i === 0 || t >= created[i - 1]!), "ids follow creation").to.equal(true);
    expect(updated.every((t, i) => t >= created[i]! && t <= now.getTime())).to.equal(true);
    expect(Math.min(...updated)).to.be.below(now.getTime() - 300 * DAY);
    expect(Math.max(...updated)).to.be.above(now.getTime() - 7 * DAY);
  });

  it("adds to what is there and keeps the counts in step with tickets made the ordinary way", async () => {
    const ticket = { accountId: 1, requesterId: 5, type: "general", subject: "Made by hand" } as const;
    const byHand = () => db.transaction(async (trx) => insertTicket(trx, ticket, await startClock(trx, ticket, new Date()), new Date()));
    expect(await byHand()).to.equal(1);
    await seedTickets(db, { tickets: 300, seed: 1 });
    await seedTickets(db, { tickets: 250, seed: 2 });
    // Ordinary inserts carry on after the seeded ids.
    expect(await byHand()).to.equal(552);
    expect(await count("tickets")).to.equal(552);
    const { table, grouped } = await statusCounts();
    expect(table).to.deep.equal(grouped);
    const codes = (await db("accounts").select("code")) as { code: string }[];
    expect(new Set(codes.map((c) => c.code)).size).to.equal(codes.length);
    expect(codes).to.have.length(1 + 6 + 5);
  });

  it("gives one ticket a long timeline of replies from both sides, notes and status changes, and leaves the others alone", async () => {
    await seedTickets(db, { tickets: 20, seed: 7 });
    const [long, other] = (await db("tickets").orderBy("id").limit(2).pluck("id")) as number[];
    const eventsOf = async (id: number) => (await db("ticket_events").where({ ticket_id: id }).orderBy("id").select("kind", "visibility", "author_id", "created_at")) as { kind: string; visibility: string; author_id: number; created_at: unknown }[];
    const [had, otherBefore] = [(await eventsOf(long!)).length, await eventsOf(other!)];
    const ticket = (await db("tickets").where({ id: long }).first("requester_id", "created_at", "updated_at")) as { requester_id: number; created_at: unknown; updated_at: unknown };

    expect(await seedLongTimeline(db, long!, 200)).to.equal(200 - had);
    const events = await eventsOf(long!);
    expect(events).to.have.length(200);
    const kinds = new Set(events.map((e) => `${e.kind}/${e.visibility}`));
    expect([...kinds].sort()).to.include.members(["note/internal", "reply/public", "status/public"]);
    expect(events.some((e) => e.kind === "reply" && e.author_id === ticket.requester_id), "the customer writes too").to.equal(true);
    expect(events.every((e) => asDate(e.created_at)!.getTime() >= asDate(ticket.created_at)!.getTime()), "nothing before the ticket was opened").to.equal(true);
    expect(await eventsOf(other!)).to.deep.equal(otherBefore);
    expect(await db("tickets").where({ id: long }).first("requester_id", "created_at", "updated_at")).to.deep.equal(ticket);
  });

  it("refuses a long timeline for a ticket that is not there, and writes nothing", async () => {
    const before = await count("ticket_events");
    let refused: unknown;
    await seedLongTimeline(db, 999_999, 200).catch((err: unknown) => (refused = err));
    expect(String(refused)).to.include("no ticket #999999");
    expect(await count("ticket_events")).to.equal(before);
  });

  it("splits multi-row inserts under the database's bound-parameter limit", async () => {
    expect(rowsPerStatement(db, 7)).to.be.at.most(5_000);
    expect(rowsPerStatement(db, 13) * 13).to.be.at.most(isPostgres(db) ? 65_535 : 32_766);
    await db.schema.createTable("seed_probe", (t) => {
      t.integer("a");
      t.integer("b");
      t.integer("c");
    });
    const rows = Array.from({ length: 12_345 }, (_, i) => [i, i * 2, i * 3]);
    await db.transaction((trx) => insertRows(trx, "seed_probe", ["a", "b", "c"], rows));
    const sum = (await db("seed_probe").sum({ s: "c" }).first()) as { s: number | string };
    expect(Number(sum.s)).to.equal((3 * 12_344 * 12_345) / 2);
  });

  describe("the CLI command", () => {
    let varDir: string;
    beforeEach(() => (varDir = mkdtempSync(path.join(tmpdir(), "vouchdesk-seed-"))));
    afterEach(() => rmSync(varDir, { recursive: true, force: true }));

    const cli = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, ["--import", "tsx", "src/main/cli.ts", ...args], {
        cwd: projectRoot,
        env: { ...process.env, NODE_ENV: "test", VAR_DIR: varDir, DATABASE_URL: database.url, ...env },
        encoding: "utf8",
        timeout: 30_000,
      });

    it("seeds the configured database, audits it, and refuses a bad count or production", async () => {
      const ok = cli(["seed-tickets", "400"]);
      expect(ok.status, ok.stderr).to.equal(0);
      expect(ok.stdout).to.match(/Seeded 400 tickets/);
      expect(await count("tickets")).to.equal(400);
      expect(await db("audit_log").where({ action: "tickets.seeded" })).to.have.length(1);

      for (const bad of [[], ["many"], ["0"], ["-5"]]) {
        const res = cli(["seed-tickets", ...bad]);
        expect(res.status, bad.join(" ")).to.equal(2);
        expect(res.stderr).to.match(/seed-tickets needs <count>/);
      }
      const prod = cli(["seed-tickets", "10"], { NODE_ENV: "production", SESSION_SECRET: "x".repeat(40), BASE_URL: "https://desk.example.com", TRUST_PROXY: "loopback" });
      expect(prod.status).to.equal(2);
      expect(prod.stderr).to.match(/refused when NODE_ENV=production/);
      expect(await count("tickets")).to.equal(400);
    });
  });
});
