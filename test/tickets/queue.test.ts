import { expect } from "chai";
import { isPostgres } from "../../src/shared/db.js";
import { decodeCursor, encodeCursor, queuePage, type QueueFilter } from "../../src/tickets/queue-store.js";
import { TICKET_STATUSES } from "../../src/tickets/vocabulary.js";
import type { Agent } from "../support/http.js";
import type { TestApp } from "../support/test-app.js";
import { act, addBetaAccount, listedIds, nextAfter } from "./helpers.js";
import { browsers } from "../support/sign-in.js";
import { userId } from "../support/users.js";
import { useTestApp } from "../support/use-test-app.js";

const TYPES = ["general", "technical", "non_technical"] as const;
const N = 130;

interface Seeded {
  id: number;
  account: "ACM" | "BET";
  requester: string;
  type: string;
  status: string;
  assignee: string | null;
  subject: string;
  updatedAt: number;
}

/**
 * 130 tickets straight into the table, in runs of 7 sharing one updated_at (so page boundaries
 * fall inside ties), spread over both accounts, every status, type and assignee choice.
 */
async function seedQueue(t: TestApp, betaAccountId: number): Promise<Seeded[]> {
  const ids = { carol: await userId(t, "carol"), dave: await userId(t, "dave"), erin: await userId(t, "erin"), alice: await userId(t, "alice"), bob: await userId(t, "bob") };
  const acmId = Number(((await t.db("accounts").where({ code: "ACM" }).first()) as { id: number }).id);
  const base = t.clock.now().getTime() - 1_000_000;
  const seeded: Seeded[] = [];
  const rows = [];
  for (let i = 1; i <= N; i++) {
    const account = i % 3 === 0 ? "BET" : "ACM";
    const requester = account === "BET" ? "erin" : i % 2 === 0 ? "carol" : "dave";
    const assignee = i % 4 === 0 ? "alice" : i % 4 === 1 ? "bob" : null;
    const s: Omit<Seeded, "id"> = {
      account,
      requester,
      type: TYPES[i % 3]!,
      status: TICKET_STATUSES[i % 5]!,
      assignee,
      subject: `Case ${i} about the ${i % 7 === 0 ? "Printer" : "network"}`,
      updatedAt: base + Math.floor(i / 7) * 1000,
    };
    rows.push({
      account_id: account === "BET" ? betaAccountId : acmId,
      requester_id: ids[requester as "carol"],
      type: s.type,
      subject: s.subject,
      status: s.status,
      priority: "normal",
      assignee_id: assignee ? ids[assignee as "alice"] : null,
      created_at: new Date(base),
      updated_at: new Date(s.updatedAt),
    });
    seeded.push({ id: 0, ...s });
  }
  await t.db.batchInsert("tickets", rows, 40);
  const inserted = (await t.db("tickets").select("id").orderBy("id")) as { id: number }[];
  inserted.forEach((r, i) => (seeded[i]!.id = Number(r.id)));
  for (const status of TICKET_STATUSES) {
    await t.db("ticket_status_counts").where({ status }).update({ n: seeded.filter((s) => s.status === status).length });
  }
  return seeded;
}

const newestFirst = (a: Seeded, b: Seeded) => b.updatedAt - a.updatedAt || b.id - a.id;

describe("agent queue (/desk): filters, keyset pages, counts", () => {
  const t = useTestApp({ once: true });
  let seeded: Seeded[];
  let as: (username: string) => Promise<Agent>;
  let alice: Agent;

  before(async () => {
    const beta = await addBetaAccount(t);
    seeded = await seedQueue(t, beta.accountId);
    as = browsers(t);
    alice = await as("alice");
  });

  /** Walks every page from the first, following the next links; returns the ticket numbers in order. */
  async function walk(query: string, onPage?: (page: number, ids: number[]) => Promise<void>): Promise<{ ids: number[]; pages: number }> {
    const ids: number[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const url: string = `/desk?${query}${after ? `${query ? "&" : ""}after=${encodeURIComponent(after)}` : ""}`;
      const res = await alice.get(url);
      expect(res.status, `${url}: ${res.text.slice(0, 500)}`).to.equal(200);
      const pageIds = listedIds(res.text, "/desk/tickets");
      expect(pageIds.length, url).to.be.at.most(50);
      ids.push(...pageIds);
      pages++;
      if (onPage) await onPage(pages, pageIds);
      after = nextAfter(res.text);
    } while (after);
    return { ids, pages };
  }

  const expected = (keep: (s: Seeded) => boolean) => seeded.filter(keep).sort(newestFirst).map((s) => s.id);

  const cases: [string, string, (s: Seeded) => boolean][] = [
    ["no filter", "", () => true],
    ["status", "status=open", (s) => s.status === "open"],
    ["type", "type=technical", (s) => s.type === "technical"],
    ["assignee me", "assignee=me", (s) => s.assignee === "alice"],
    ["assignee unassigned", "assignee=unassigned", (s) => s.assignee === null],
    ["assignee anyone", "assignee=any", () => true],
    ["account (any case)", "account=bet", (s) => s.account === "BET"],
    ["ticket number", "q=%2317", (s) => s.id === 17],
    ["bare number: that ticket and every ticket with a word starting so", "q=42", (s) => s.id === 42 || /\b42/.test(s.subject)],
    ["subject text, any case", "q=printer", (s) => s.subject.includes("Printer")],
    ["requester username", "q=ERIN", (s) => s.requester === "erin"],
    ["status and account and unassigned", "status=new&account=ACM&assignee=unassigned", (s) => s.status === "new" && s.account === "ACM" && s.assignee === null],
    ["type and text", "type=general&q=network", (s) => s.type === "general" && s.subject.includes("network")],
    ["status and me", "status=resolved&assignee=me", (s) => s.status === "resolved" && s.assignee === "alice"],
    ["account and requester text", "account=ACM&q=erin", () => false],
    ["empty values are no filter", "status=&type=&assignee=&account=&q=", () => true],
  ];
  // The queue opens on Open work: every filter there lists the matching tickets that are not closed.
  for (const [name, query, keep] of cases) {
    it(`filters by ${name}: every matching ticket exactly once, newest activity first`, async () => {
      const want = expected((s) => keep(s) && s.status !== "closed");
      const { ids, pages } = await walk(query);
      expect(ids).to.deep.equal(want);
      expect(pages).to.equal(Math.max(1, Math.ceil(want.length / 50)));
    });
  }

  it("filters by a named agent's id", async () => {
    const { ids } = await walk(`assignee=${await userId(t, "bob")}`);
    expect(ids).to.deep.equal(expected((s) => s.assignee === "bob" && s.status !== "closed"));
  });

  it("the All view lists closed tickets too, with every filter", async () => {
    expect((await walk("view=all")).ids).to.deep.equal(expected(() => true));
    expect((await walk("view=all&status=closed&account=BET")).ids).to.deep.equal(expected((s) => s.status === "closed" && s.account === "BET"));
  });

  it("shows number, subject, account, requester, status, priority, assignee and last activity on each row", async () => {
    const newest = [...seeded].sort(newestFirst)[0]!;
    const res = await alice.get("/desk").expect(200);
    const row = res.text.split("<tr>").find((r) => r.includes(`/desk/tickets/${newest.id}"`))!;
    expect(row).to.include(`#${newest.id}`).and.include(newest.subject).and.include(`<td>${newest.account}</td>`).and.include(`<td>${newest.requester}</td>`);
    expect(row).to.include(`status-${newest.status}`).and.include("priority-normal").and.include(`<td>${newest.assignee ?? "—"}</td>`).and.match(/<time[^>]*>(just now|\d+ (min|h|d) ago)<\/time>/);
  });

  it("shows the per-status counts kept in ticket_status_counts, and the same queue as GET /", async () => {
    const res = await alice.get("/desk").expect(200);
    for (const status of TICKET_STATUSES) {
      const n = seeded.filter((s) => s.status === status).length;
      expect(res.text).to.match(new RegExp(`status-${status}">[^<]+</span> <span class="count">${n}</span>`));
    }
    expect(res.text).to.include(`All <span class="count">${N}</span>`);
    const home = await alice.get("/").expect(200);
    expect(listedIds(home.text, "/desk/tickets")).to.deep.equal(listedIds(res.text, "/desk/tickets"));
    const admin = await (await as("admin")).get("/").expect(200);
    expect(listedIds(admin.text, "/desk/tickets")).to.have.length(50);
  });

  it("walks without repeats while tickets are updated during the walk; a ticket bumped ahead of the cursor is at the top of a fresh first page", async () => {
    const order = expected(() => true);
    const seenEarly = order[3]!; // on page 1
    const unseen = order[120]!; // on page 3
    const { ids } = await walk("view=all", async (page) => {
      if (page !== 1) return;
      t.clock.advance(60_000);
      for (const id of [seenEarly, unseen]) await act(alice, `/desk/tickets/${id}/notes`, { body: "bumped" }, `/desk/tickets/${id}`);
    });
    expect(new Set(ids).size, "no ticket twice").to.equal(ids.length);
    expect(ids.filter((id) => id === seenEarly)).to.have.length(1);
    // Every ticket whose activity did not move is listed exactly once, in the order it had.
    expect(ids.filter((id) => id !== unseen)).to.deep.equal(order.filter((id) => id !== unseen));
    const fresh = listedIds((await alice.get("/desk?view=all").expect(200)).text, "/desk/tickets");
    expect(fresh.slice(0, 2).sort()).to.deep.equal([seenEarly, unseen].sort());
    // Put the two back where they were for the other tests.
    for (const id of [seenEarly, unseen]) await t.db("tickets").where({ id }).update({ updated_at: new Date(seeded.find((s) => s.id === id)!.updatedAt) });
  });

  it("round-trips the opaque cursor", () => {
    const cursor = { updatedAt: new Date(1_790_000_000_123), id: 77 };
    expect(encodeCursor(cursor)).to.equal("1790000000123.77");
    expect(decodeCursor("1790000000123.77")).to.deep.equal(cursor);
    for (const bad of ["", "abc", "1.2.3", "12", ".5", "1790000000123.99999999999"]) expect(decodeCursor(bad), bad).to.equal(null);
  });

  describe("bad queries: a 400 that names the problem", () => {
    const bad: [string, string][] = [
      ["status=escalated", "Choose a status from the list."],
      ["type=hardware", "Choose a type from the list."],
      ["assignee=somebody", "Choose an assignee from the list"],
      ["assignee=987654", "There is no agent with that id"],
      ["assignee=9999999999", "Choose an assignee from the list"], // past the largest row id: never reaches PostgreSQL
      ["account=ZZZ", "There is no account with code ZZZ."],
      ["account=ACME1", "Enter an account code: three letters, like ACM."],
      [`q=${"x".repeat(201)}`, "Keep the search to 200 characters or fewer."],
      ["after=yesterday", "This page link is broken"],
      ["after=1.2.3", "This page link is broken"],
      ["status=open&status=new", "Choose a status from the list."],
    ];
    for (const [query, problem] of bad) {
      it(query.slice(0, 40), async () => {
        const res = await alice.get(`/desk?${query}`);
        expect(res.status).to.equal(400);
        expect(res.text).to.include(problem);
        expect(listedIds(res.text, "/desk/tickets")).to.deep.equal([]);
      });
    }

    it("a customer's id is not an agent to filter by", async () => {
      const res = await alice.get(`/desk?assignee=${await userId(t, "carol")}`);
      expect(res.status).to.equal(400);
    });
  });

  /** The first SQL statement queuePage sends for a filter, with its bindings. */
  async function queueSql(filter: QueueFilter): Promise<{ sql: string; bindings: unknown[] }> {
    const sent: { sql: string; bindings: unknown[] }[] = [];
    const listen = (q: { sql: string; bindings: unknown[] }) => void sent.push(q);
    t.db.on("query", listen);
    await queuePage(t.db, filter);
    t.db.off("query", listen);
    return sent[0]!;
  }

  const planFilters = (): QueueFilter[] => [
    {},
    { status: "open" },
    { type: "general" },
    { assigneeId: 1 },
    { assigneeId: null },
    { accountId: 1 },
    { requesterId: 1 },
    { text: { number: 5 } },
    { status: "open", after: { updatedAt: new Date(), id: 10 } },
    { accountId: 1, after: { updatedAt: new Date(), id: 10 } },
    // The views (queue-views.ts) and a view with a filter.
    { scope: { notClosed: true } },
    { scope: { notClosed: true, assigneeId: 1 } },
    { scope: { notClosed: true, assigneeId: null } },
    { scope: { notClosed: true, type: "primary_reset", idsIn: t.db("reset_requests").select("ticket_id").whereIn("state", ["pending", "delivered"]) } },
    { scope: { notClosed: true }, accountId: 1, after: { updatedAt: new Date(), id: 10 } },
  ];

  it("every filter path reads a tickets index in queue order: no full scan, no sort of the table", async () => {
    for (const filter of planFilters()) {
      const { sql, bindings } = await queueSql(filter);
      const label = JSON.stringify({ ...filter, scope: filter.scope && { ...filter.scope, idsIn: filter.scope.idsIn ? "a subquery" : undefined } });
      if (isPostgres(t.db)) {
        // The table is tiny here, so forbid the plans that would not scale and check an index plan is still found.
        const plan = await t.db.transaction(async (trx) => {
          await trx.raw("SET LOCAL enable_seqscan = off");
          await trx.raw("SET LOCAL enable_sort = off");
          const rows = (await trx.raw(`EXPLAIN ${sql.replace(/\$\d+/g, "?")}`, bindings as never)) as { rows: { "QUERY PLAN": string }[] };
          return rows.rows.map((r) => r["QUERY PLAN"]).join("\n");
        });
        expect(plan, `${label}\n${plan}`).to.match(/Index (Only )?Scan (Backward )?using tickets_/);
        expect(plan, `${label}\n${plan}`).to.not.match(/Seq Scan on tickets|Sort {2}\(cost=1\d{9}/);
      } else {
        const plan = ((await t.db.raw(`EXPLAIN QUERY PLAN ${sql}`, bindings as never)) as { detail: string }[]).map((r) => r.detail).join(" | ");
        expect(plan, label).to.match(/tickets USING (COVERING )?INDEX|INTEGER PRIMARY KEY/);
        expect(plan, label).to.not.match(/SCAN tickets(?! USING)/);
        expect(plan, label).to.not.include("TEMP B-TREE FOR ORDER BY");
      }
    }
  });
});
