import { expect } from "chai";
import type { Knex } from "knex";
import { isPostgres } from "../../src/shared/db.js";
import { resetTicketsInProgress, ticketsAwaitingApprovalBy } from "../../src/resets/index.js";
import { queuePage } from "../../src/tickets/queue-store.js";
import { QUEUE_VIEWS, viewScope, type QueueView } from "../../src/tickets/queue-views.js";
import type { Agent } from "../support/http.js";
import type { Row } from "../support/rows.js";
import { signedIn } from "../support/sign-in.js";
import { userId } from "../support/users.js";
import { useTestApp } from "../support/use-test-app.js";
import { openRequest, reject } from "../resets/helpers.js";
import { act, listedIds, nextAfter, openTicket, seedTicket, writeState } from "./helpers.js";

/** The desk's named views (GET /desk?view=), on tickets put in their states through the app. */
describe("agent queue: views", () => {
  const t = useTestApp({ once: true });
  let alice: Agent;
  const ids = {} as Record<"unassigned" | "alices" | "bobs" | "closed" | "rejectedReset" | "pendingReset", number>;

  before(async () => {
    alice = await signedIn(t, "alice");
    const carol = await signedIn(t, "carol");
    for (const key of ["unassigned", "alices", "bobs", "closed"] as const) ids[key] = await openTicket(carol, { subject: `The ${key} ticket` });
    const assign = (id: number, who: string) => act(alice, `/desk/tickets/${id}/assign`, { assignee_id: who }, `/desk/tickets/${id}`);
    await assign(ids.alices, String(await userId(t, "alice")));
    await assign(ids.bobs, String(await userId(t, "bob")));
    await act(alice, `/desk/tickets/${ids.closed}/status`, { status: "closed" }, `/desk/tickets/${ids.closed}`);
    ids.rejectedReset = await openRequest(t);
    expect((await reject(alice, ids.rejectedReset, "Not the holder's wish.")).status).to.equal(303);
    ids.pendingReset = await openRequest(t);
  });

  /** Walks a query's pages from the first, following the next links; the ticket numbers in order. */
  async function walk(query: string): Promise<number[]> {
    const listed: number[] = [];
    let after: string | null = null;
    do {
      const url: string = `/desk?${query}${after ? `&after=${encodeURIComponent(after)}` : ""}`;
      const res = await alice.get(url);
      expect(res.status, `${url}: ${res.text.slice(0, 300)}`).to.equal(200);
      listed.push(...listedIds(res.text, "/desk/tickets"));
      after = nextAfter(res.text);
    } while (after);
    return listed;
  }

  /** What a view must list, read from the tables: its rule written again as plain SQL, newest activity first. */
  async function oracle(where: (q: Knex.QueryBuilder) => void): Promise<number[]> {
    const q = t.db("tickets").select("id").orderBy([{ column: "updated_at", order: "desc" }, { column: "id", order: "desc" }]);
    where(q);
    return ((await q) as Row[]).map((r) => Number(r.id));
  }

  const inProgress = () => t.db("reset_requests").select("ticket_id").whereIn("state", ["pending", "delivered"]);
  const rules: Record<QueueView, (q: Knex.QueryBuilder) => Promise<void>> = {
    open: async (q) => void q.whereNot("status", "closed"),
    "awaiting-my-approval": async (q) => void q.whereNot("status", "closed").whereIn("id", t.db("reset_approvers").select("ticket_id").where("user_id", await userId(t, "alice"))),
    resets: async (q) => void q.whereIn("id", inProgress()),
    mine: async (q) => void q.whereNot("status", "closed").where("assignee_id", await userId(t, "alice")),
    unassigned: async (q) => void q.whereNot("status", "closed").whereNull("assignee_id"),
    due: async (q) => void q.whereNot("status", "closed").whereNotNull("due_at").clearOrder().orderBy([{ column: "due_at", order: "asc" }, { column: "id", order: "asc" }]),
    all: async () => {},
  };
  const expectedOf = async (view: QueueView) => {
    const q = t.db("tickets").select("id").orderBy([{ column: "updated_at", order: "desc" }, { column: "id", order: "desc" }]);
    await rules[view](q);
    return ((await q) as Row[]).map((r) => Number(r.id));
  };

  it("each view lists exactly its tickets, newest activity first", async () => {
    const listed = Object.fromEntries(await Promise.all(QUEUE_VIEWS.map(async (v) => [v, await walk(`view=${v}`)] as const))) as Record<QueueView, number[]>;
    for (const view of QUEUE_VIEWS) expect(listed[view], view).to.deep.equal(await expectedOf(view));
    expect(listed.open).to.include.members([ids.unassigned, ids.alices, ids.bobs, ids.pendingReset]).and.not.include.members([ids.closed, ids.rejectedReset]);
    expect(listed.resets).to.deep.equal([ids.pendingReset]);
    expect(listed.mine).to.include(ids.alices).and.not.include.members([ids.bobs, ids.unassigned]);
    expect(listed.unassigned).to.include.members([ids.unassigned, ids.pendingReset]).and.not.include.members([ids.alices, ids.bobs, ids.closed]);
    expect(listed.all).to.include.members(Object.values(ids));
    // The default is Open work, on GET /desk and on the staff's home page.
    expect(await walk("")).to.deep.equal(listed.open);
    expect(listedIds((await alice.get("/").expect(200)).text, "/desk/tickets")).to.deep.equal(listed.open.slice(0, 50));
  });

  it("combines with the filters: both must hold", async () => {
    const bob = await userId(t, "bob");
    expect(await walk("view=resets&account=acm")).to.deep.equal([ids.pendingReset]);
    expect(await walk("view=open&type=primary_reset")).to.deep.equal([ids.pendingReset]);
    expect(await walk(`view=mine&assignee=${bob}`), "Mine with another agent is nobody's").to.deep.equal([]);
    expect(await walk(`view=open&assignee=${bob}`)).to.deep.equal(await oracle((q) => q.whereNot("status", "closed").where("assignee_id", bob)));
    expect(await walk(`view=unassigned&q=%23${ids.unassigned}`)).to.deep.equal([ids.unassigned]);
    expect(await walk(`view=unassigned&q=%23${ids.alices}`)).to.deep.equal([]);
    expect(await walk("view=all&status=closed")).to.deep.equal(await oracle((q) => q.where("status", "closed")));
    expect(await walk("view=all&status=closed")).to.include.members([ids.closed, ids.rejectedReset]);
    const closedInOpen = (await alice.get("/desk?view=open&status=closed").expect(200)).text;
    expect(listedIds(closedInOpen, "/desk/tickets")).to.deep.equal([]);
    expect(closedInOpen).to.include("Closed tickets are in the").and.include('href="/desk?view=all&amp;status=closed"');
  });

  it("are links above the queue, the chosen one marked, kept by the filter form, the pages and the clear link", async () => {
    const html = (await alice.get("/desk?view=mine&type=general").expect(200)).text;
    const nav = /<nav aria-label="Views of the queue">([\s\S]*?)<\/nav>/.exec(html)![1]!;
    for (const [view, label] of [["open", "Open work"], ["resets", "Resets in progress"], ["mine", "Mine"], ["unassigned", "Unassigned"], ["all", "All"]]) {
      const current = view === "mine" ? ' aria-current="page"' : "";
      expect(nav).to.include(`<a href="/desk?view=${view}&amp;type=general"${current}>${label}</a>`);
    }
    expect(nav.match(/aria-current/g)).to.have.length(1);
    expect(html).to.include("<h1>Queue: Mine</h1>");
    expect(html).to.include('<input type="hidden" name="view" value="mine">');
    expect(html).to.include('href="/desk?view=mine" class="small">Clear</a>');
    // The per-status counts are of all tickets: their links open the All view.
    expect(html).to.include('href="/desk?view=all&amp;status=closed&amp;type=general"');
    const home = (await alice.get("/desk").expect(200)).text;
    expect(/<nav aria-label="Views of the queue">[\s\S]*?<\/nav>/.exec(home)![0]).to.include('href="/desk?view=open" aria-current="page">Open work</a>');
  });

  describe("a bad query parameter is a 400 that names it, in every view, and changes nothing", () => {
    const bad: [string, string][] = [
      ["status=escalated", "Choose a status from the list."],
      ["type=hardware", "Choose a type from the list."],
      ["assignee=somebody", "Choose an assignee from the list"],
      ["account=ZZZ", "There is no account with code ZZZ."],
      ["after=yesterday", "This page link is broken"],
    ];
    for (const view of QUEUE_VIEWS) {
      it(`view=${view}`, async () => {
        for (const [query, problem] of bad) {
          const before = await writeState(t);
          const res = await alice.get(`/desk?view=${view}&${query}`);
          expect(res.status, query).to.equal(400);
          expect(res.text, query).to.include(problem);
          expect(listedIds(res.text, "/desk/tickets"), query).to.deep.equal([]);
          expect(await writeState(t), "nothing changed").to.deep.equal(before);
        }
      });
    }

    for (const query of ["view=escalated", "view=Open", "view=open&view=all"]) {
      it(query, async () => {
        const before = await writeState(t);
        const res = await alice.get(`/desk?${query}`);
        expect(res.status).to.equal(400);
        expect(res.text).to.include('<a href="#field-view">Choose a view from the list.</a>');
        expect(listedIds(res.text, "/desk/tickets")).to.deep.equal([]);
        expect(/<nav aria-label="Views of the queue">[\s\S]*?<\/nav>/.exec(res.text)![0], "no view is marked as shown").to.not.include("aria-current");
        expect(await writeState(t)).to.deep.equal(before);
      });
    }
  });

  it("keeps keyset pages inside a view: every ticket once, in order, while closed ones are skipped", async () => {
    for (let i = 0; i < 80; i++) await seedTicket(t, "carol", `Bulk ${i}`);
    const closing = (await t.db("tickets").where("subject", "like", "Bulk %").orderBy("id").limit(20).select("id")) as Row[];
    await t.db("tickets").whereIn("id", closing.map((r) => Number(r.id))).update({ status: "closed" });
    const want = await expectedOf("unassigned");
    expect(want.length).to.be.above(50);
    expect(await walk("view=unassigned")).to.deep.equal(want);
    expect(await walk("view=open")).to.deep.equal(await expectedOf("open"));
  });
});

/**
 * Every view reads a partial index of the tickets not closed, in queue order: few open tickets
 * beside many closed ones (what a desk holds after a while), and statistics on PostgreSQL, so
 * its planner's choice is the one it makes at size rather than one forced.
 */
describe("agent queue: the views' plans", () => {
  const t = useTestApp({ once: true });

  before(async () => {
    const carolId = await userId(t, "carol");
    const accountId = Number(((await t.db("accounts").where({ code: "ACM" }).first("id")) as Row).id);
    const at = (i: number) => new Date(t.clock.now().getTime() - i * 60_000);
    const row = (i: number, status: string) => ({ account_id: accountId, requester_id: carolId, type: "general", subject: `Old case ${i}`, status, priority: "normal", created_at: at(i), updated_at: at(i) });
    await t.db.batchInsert("tickets", Array.from({ length: 3000 }, (_, i) => row(i, i % 300 === 0 ? "open" : "closed")), 200);
    if (isPostgres(t.db)) await t.db.raw("ANALYZE tickets");
  });

  /** The SQL queuePage sends first for a view, with its bindings. */
  async function viewSql(view: QueueView): Promise<{ sql: string; bindings: unknown[] }> {
    const viewer = { id: await userId(t, "alice") };
    const sent: { sql: string; bindings: unknown[] }[] = [];
    const listen = (q: { sql: string; bindings: unknown[] }) => void sent.push(q);
    t.db.on("query", listen);
    await queuePage(t.db, { scope: viewScope(view, viewer, { resetsInProgress: () => resetTicketsInProgress(t.db), awaitingApprovalBy: (id) => ticketsAwaitingApprovalBy(t.db, id) }) });
    t.db.off("query", listen);
    return sent[0]!;
  }

  /** The partial index each view reads (a pattern); "awaiting my approval" reads the viewer's few rows of reset_approvers (test/resets/handoff.test.ts), "due" the index (due_at, id). */
  const INDEX: Record<Exclude<QueueView, "all" | "awaiting-my-approval" | "due">, string> = {
    open: "tickets_open_updated_index",
    resets: "tickets_open_type_index",
    mine: "tickets_open_assignee_index",
    // All the open tickets here are unassigned: reading the Open work index is as good, and PostgreSQL may.
    unassigned: "tickets_open_(assignee|updated)_index",
  };

  for (const view of Object.keys(INDEX) as (keyof typeof INDEX)[]) {
    it(`${view} reads ${INDEX[view]} in queue order, no sort of the table`, async () => {
      const { sql, bindings } = await viewSql(view);
      if (isPostgres(t.db)) {
        const rows = (await t.db.raw(`EXPLAIN ${sql.replace(/\$\d+/g, "?")}`, bindings as never)) as { rows: { "QUERY PLAN": string }[] };
        const plan = rows.rows.map((r) => r["QUERY PLAN"]).join("\n");
        // The page's 51 rows come off the index in order, under the LIMIT with no sort between
        // (the sort above the joins orders those 51 rows only, never the table).
        const lines = plan.split("\n");
        const limit = lines.findIndex((l) => l.includes("Limit "));
        const scan = lines.findIndex((l) => new RegExp(`Index (Only )?Scan (Backward )?using ${INDEX[view]} on tickets`).test(l));
        expect(limit, plan).to.be.at.least(0);
        expect(scan, plan).to.be.above(limit);
        expect(lines.slice(limit, scan).join("\n"), plan).to.not.include("Sort");
        expect(plan, plan).to.not.match(/Seq Scan on tickets/);
      } else {
        const plan = ((await t.db.raw(`EXPLAIN QUERY PLAN ${sql}`, bindings as never)) as { detail: string }[]).map((r) => r.detail).join(" | ");
        expect(plan, plan).to.match(new RegExp(`tickets USING (COVERING )?INDEX ${INDEX[view]}`));
        expect(plan, plan).to.not.include("TEMP B-TREE FOR ORDER BY");
      }
    });
  }
});
