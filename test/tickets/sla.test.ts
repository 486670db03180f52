import { expect } from "chai";
import { asDate } from "../../src/shared/db.js";
import { auditRows } from "../support/audit.js";
import { postForm } from "../support/forms.js";
import type { Row } from "../support/rows.js";
import { signedIn } from "../support/sign-in.js";
import type { TestApp } from "../support/test-app.js";
import { userId } from "../support/users.js";
import { useTestApp } from "../support/use-test-app.js";
import { approve, callBack, openRequest } from "../resets/helpers.js";
import { act, listedIds, nextAfter, openTicket, ticketRow } from "./helpers.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** A ticket row's clock columns as milliseconds (null stays null). */
async function clockOf(t: TestApp, id: number) {
  const row = await ticketRow(t, id);
  const ms = (column: string) => asDate(row[column])?.getTime() ?? null;
  return {
    createdAt: ms("created_at")!,
    firstResponseDue: ms("first_response_due_at"),
    firstResponded: ms("first_responded_at"),
    resolutionDue: ms("resolution_due_at"),
    paused: ms("sla_paused_at"),
    pausedMs: Number(row.sla_paused_ms),
    due: ms("due_at"),
  };
}

/** The queue row of one ticket, as HTML. */
function queueRowOf(html: string, id: number): string {
  const row = [...html.matchAll(/<tr>[\s\S]*?<\/tr>/g)].map((m) => m[0]).find((r) => r.includes(`href="/desk/tickets/${id}"`));
  expect(row, `queue row of #${id}`).to.not.equal(undefined);
  return row!;
}

const desk = (id: number) => `/desk/tickets/${id}`;

/** The ticket page's "Due" entry. */
const dueEntry = (html: string) => /<dd id="sla-due">([\s\S]*?)<\/dd>/.exec(html)![1]!;

describe("SLA clocks: due times, pausing, badges, the due view and /admin/sla", () => {
  const t = useTestApp();
  // Sessions go idle after 30 minutes of the test clock: each step after a jump signs in again.
  const as = (username: string) => signedIn(t, username);

  describe("due times of an ordinary ticket", () => {
    it("starts both clocks at opening with the priority's targets (normal: 8 h and 3 d)", async () => {
      const id = await openTicket(await as("carol"));
      const c = await clockOf(t, id);
      expect(c.createdAt).to.equal(t.clock.now().getTime());
      expect(c.firstResponseDue).to.equal(c.createdAt + 8 * HOUR);
      expect(c.resolutionDue).to.equal(c.createdAt + 3 * DAY);
      expect(c.due, "the first response is due first").to.equal(c.firstResponseDue);
      expect(c.firstResponded).to.equal(null);
    });

    it("stops the first-response clock at an agent's first public reply, not at a note or the customer's reply", async () => {
      const carol = await as("carol");
      const id = await openTicket(carol);
      const opened = await clockOf(t, id);
      t.clock.advance(2 * HOUR);
      const alice = await as("alice");
      await act(alice, `${desk(id)}/notes`, { body: "Looking into it." }, desk(id));
      await act(await as("carol"), `/tickets/${id}/replies`, { body: "Any news?" }, `/tickets/${id}`);
      expect(await clockOf(t, id), "a note and the customer's reply leave the clock running").to.deep.equal(opened);

      await act(alice, `${desk(id)}/replies`, { body: "We are on it." }, desk(id));
      const answered = await clockOf(t, id);
      expect(answered.firstResponded).to.equal(t.clock.now().getTime());
      expect(answered.due, "now the resolution is what is due").to.equal(opened.resolutionDue);

      t.clock.advance(HOUR);
      await act(await as("alice"), `${desk(id)}/replies`, { body: "Still on it." }, desk(id));
      expect((await clockOf(t, id)).firstResponded, "a second reply changes nothing").to.equal(answered.firstResponded);
      const page = await (await as("alice")).get(desk(id)).expect(200);
      expect(page.text).to.include(`Given ${new Date(answered.firstResponded!).toISOString().slice(0, 16).replace("T", " ")} UTC`);
    });

    it("pauses while waiting for the customer: the time there does not count, and the due times move out by it", async () => {
      const id = await openTicket(await as("carol"));
      const opened = await clockOf(t, id);
      t.clock.advance(HOUR);
      const alice = await as("alice");
      await act(alice, `${desk(id)}/status`, { status: "pending_customer" }, desk(id));
      const paused = await clockOf(t, id);
      expect(paused.paused).to.equal(t.clock.now().getTime());
      expect(paused.due, "no clock runs while waiting").to.equal(null);
      const page = await alice.get(desk(id)).expect(200);
      expect(dueEntry(page.text)).to.include("Paused while waiting for the customer");
      expect(page.text).to.not.match(/class="badge sla-/);

      t.clock.advance(5 * HOUR);
      // The customer answers: the ticket opens again and the clocks run from where they stood.
      await act(await as("carol"), `/tickets/${id}/replies`, { body: "Here is the log you asked for." }, `/tickets/${id}`);
      const resumed = await clockOf(t, id);
      expect((await ticketRow(t, id)).status).to.equal("open");
      expect(resumed.paused).to.equal(null);
      expect(resumed.pausedMs).to.equal(5 * HOUR);
      expect(resumed.firstResponseDue).to.equal(opened.firstResponseDue! + 5 * HOUR);
      expect(resumed.resolutionDue).to.equal(opened.resolutionDue! + 5 * HOUR);
      expect(resumed.due).to.equal(resumed.firstResponseDue);

      // A second wait adds up; an agent moving it back to open resumes it too.
      await act(await as("alice"), `${desk(id)}/status`, { status: "pending_customer" }, desk(id));
      t.clock.advance(30 * MIN);
      await act(await as("alice"), `${desk(id)}/status`, { status: "open" }, desk(id));
      const again = await clockOf(t, id);
      expect(again.pausedMs).to.equal(5 * HOUR + 30 * MIN);
      expect(again.resolutionDue).to.equal(opened.resolutionDue! + 5 * HOUR + 30 * MIN);
    });

    it("stops for good when closed, and re-times both clocks from the opening when the priority changes", async () => {
      const id = await openTicket(await as("carol"));
      const opened = await clockOf(t, id);
      t.clock.advance(20 * MIN);
      const alice = await as("alice");
      await act(alice, `${desk(id)}/priority`, { priority: "urgent" }, desk(id));
      const urgent = await clockOf(t, id);
      expect(urgent.firstResponseDue).to.equal(opened.createdAt + HOUR);
      expect(urgent.resolutionDue).to.equal(opened.createdAt + 4 * HOUR);
      expect(urgent.due).to.equal(urgent.firstResponseDue);

      await act(alice, `${desk(id)}/status`, { status: "closed" }, desk(id));
      expect((await clockOf(t, id)).due).to.equal(null);
      expect(dueEntry((await alice.get(desk(id)).expect(200)).text)).to.include("No clock runs: the ticket is closed.");
    });
  });

  describe("badges", () => {
    it("shows the due time quietly, then 'due soon' under a quarter of the target left, then 'overdue', in the queue row and on the page", async () => {
      const id = await openTicket(await as("carol"));
      const other = await openTicket(await as("carol"), { subject: "Another matter" });
      await act(await as("alice"), `${desk(other)}/replies`, { body: "Answered at once." }, desk(other));

      const look = async () => {
        const alice = await as("alice");
        const queue = await alice.get("/desk").expect(200);
        const page = await alice.get(desk(id)).expect(200);
        return { row: queueRowOf(queue.text, id), otherRow: queueRowOf(queue.text, other), due: dueEntry(page.text) };
      };

      let seen = await look();
      expect(seen.row).to.include("due in 8 h").and.not.include("badge sla-");
      expect(seen.otherRow, "answered: the resolution clock (3 d) is what shows").to.include("due in 3 d");
      expect(seen.due).to.include("due in 8 h").and.include("First response due");

      // 8 h target: due soon once 2 h or less are left.
      t.clock.advance(6 * HOUR + 30 * MIN);
      seen = await look();
      expect(seen.row).to.match(/<span class="badge sla-soon"[^>]*>due soon: 1 h 30 min<\/span>/);
      expect(seen.due).to.match(/class="badge sla-soon"/);
      expect(seen.otherRow, "3 d - 6 h 30 min left of 3 d: on time").to.include("due in 2 d 17 h").and.not.include("badge sla-");

      t.clock.advance(2 * HOUR);
      seen = await look();
      expect(seen.row).to.match(/<span class="badge sla-overdue"[^>]*>overdue by 30 min<\/span>/);
      expect(seen.due).to.match(/class="badge sla-overdue"[^>]*>overdue by 30 min/);
    });
  });

  describe("the due view (GET /desk?view=due)", () => {
    /** 70 tickets straight into the table: due times in runs of 3 that tie (pages break inside ties), every 7th with none. */
    async function seedDue(): Promise<{ id: number; due: number | null }[]> {
      const carol = await userId(t, "carol");
      const account = Number(((await t.db("accounts").where({ code: "ACM" }).first("id")) as Row).id);
      const base = t.clock.now().getTime();
      const made: { id: number; due: number | null }[] = [];
      for (let i = 0; i < 70; i++) {
        const due = i % 7 === 0 ? null : base + (70 - Math.floor(i / 3)) * MIN;
        const [row] = (await t.db("tickets")
          .insert({ account_id: account, requester_id: carol, type: "general", subject: `Due ${i}`, status: due === null ? "closed" : "open", priority: "normal", created_at: new Date(base), updated_at: new Date(base + i), due_at: due === null ? null : new Date(due) })
          .returning("id")) as { id: number }[];
        made.push({ id: Number(row!.id), due });
      }
      return made;
    }

    it("lists the tickets with a running due time, soonest first, 50 a page, and its second page follows on", async () => {
      const made = await seedDue();
      const want = made.filter((m) => m.due !== null).sort((a, b) => a.due! - b.due! || a.id - b.id).map((m) => m.id);
      expect(want).to.have.length(60);
      const alice = await as("alice");
      const first = await alice.get("/desk?view=due").expect(200);
      expect(listedIds(first.text, "/desk/tickets")).to.deep.equal(want.slice(0, 50));
      expect(first.text).to.include("soonest first");
      expect(first.text).to.match(/href="\/desk\?view=due" aria-current="page"/);
      const after = nextAfter(first.text);
      expect(after).to.match(/^d\d+\.\d+$/);
      expect(first.text, "the next link stays in the view").to.include(`/desk?view=due&amp;after=${encodeURIComponent(after!)}`);
      const second = await alice.get(`/desk?view=due&after=${encodeURIComponent(after!)}`).expect(200);
      expect(listedIds(second.text, "/desk/tickets")).to.deep.equal(want.slice(50));
      expect(nextAfter(second.text)).to.equal(null);
      // Filters apply within the view.
      const none = await alice.get("/desk?view=due&status=new").expect(200);
      expect(listedIds(none.text, "/desk/tickets")).to.deep.equal([]);
    });

    it("refuses a bad view and a page link of another view with a 400 naming the parameter", async () => {
      const alice = await as("alice");
      const badView = await alice.get("/desk?view=soonest").expect(400);
      expect(badView.text).to.include("Choose a view from the list.");
      expect(badView.text).to.include('href="#field-view"');
      const activityLink = await alice.get(`/desk?view=due&after=${encodeURIComponent(`${t.clock.now().getTime()}.5`)}`).expect(400);
      expect(activityLink.text).to.include('href="#field-after"').and.include("This page link is broken");
      const dueLinkElsewhere = await alice.get(`/desk?after=d${t.clock.now().getTime()}.5`).expect(400);
      expect(dueLinkElsewhere.text).to.include('href="#field-after"');
    });
  });

  describe("/admin/sla", () => {
    const targets = async () => (await t.db("sla_targets").orderBy("priority")) as Row[];
    const form = (over: Record<string, string> = {}) => ({
      urgent_first_response: "1 h",
      urgent_resolution: "4 h",
      high_first_response: "4 h",
      high_resolution: "1 d",
      normal_first_response: "8 h",
      normal_resolution: "3 d",
      low_first_response: "1 d",
      low_resolution: "5 d",
      ...over,
    });

    it("shows the defaults, saves new targets with an audit entry, and new tickets take them", async () => {
      const admin = await as("admin");
      const page = await admin.get("/admin/sla").expect(200);
      expect(page.text).to.match(/name="normal_first_response"[^>]*\s+value="8 h"/);
      expect(page.text).to.match(/name="low_resolution"[^>]*\s+value="5 d"/);
      expect((await admin.get("/admin").expect(200)).text).to.include('href="/admin/sla"');

      const saved = await postForm(admin, "/admin/sla", form({ normal_first_response: "90 min", normal_resolution: "2 days" }), "/admin/sla");
      expect(saved.status, saved.text.slice(0, 1000)).to.equal(303);
      const normal = (await targets()).find((r) => r.priority === "normal")!;
      expect([Number(normal.first_response_minutes), Number(normal.resolution_minutes)]).to.deep.equal([90, 2 * 24 * 60]);
      const audit = await auditRows(t, "sla.targets_changed");
      expect(audit).to.have.length(1);
      expect(audit[0]!.actor).to.equal("admin");
      expect(audit[0]!.details).to.deep.equal({ normal: { from: { firstResponseMinutes: 480, resolutionMinutes: 4320 }, to: { firstResponseMinutes: 90, resolutionMinutes: 2880 } } });
      expect((await admin.get("/admin/sla").expect(200)).text).to.match(/name="normal_first_response"[^>]*\s+value="90 min"/);

      const id = await openTicket(await as("carol"));
      const c = await clockOf(t, id);
      expect(c.firstResponseDue).to.equal(c.createdAt + 90 * MIN);
      expect(c.resolutionDue).to.equal(c.createdAt + 2 * DAY);

      // Saving the same targets again changes and audits nothing.
      expect((await postForm(admin, "/admin/sla", form({ normal_first_response: "90 min", normal_resolution: "2 d" }), "/admin/sla")).status).to.equal(303);
      expect(await auditRows(t, "sla.targets_changed")).to.have.length(1);
    });

    const bad: [string, Record<string, string>, string, string][] = [
      ["a number without a unit", { urgent_first_response: "45" }, "urgent_first_response", "Give a whole number and a unit"],
      ["an unknown unit", { high_resolution: "2 weeks" }, "high_resolution", "Give a whole number and a unit"],
      ["nothing", { low_first_response: "" }, "low_first_response", "Give a whole number and a unit"],
      ["zero", { normal_resolution: "0 min" }, "normal_resolution", "Give a time from 1 min to 365 d."],
      ["more than a year", { low_resolution: "366 d" }, "low_resolution", "Give a time from 1 min to 365 d."],
      ["a first response due after the resolution", { high_first_response: "2 d" }, "high_first_response", "cannot be due after its resolution"],
    ];
    for (const [what, over, field, problem] of bad) {
      it(`refuses ${what} with a 400 naming ${field}, and changes nothing`, async () => {
        const admin = await as("admin");
        const before = { targets: await targets(), audit: (await auditRows(t)).length };
        const res = await postForm(admin, "/admin/sla", form(over), "/admin/sla");
        expect(res.status).to.equal(400);
        expect(res.text).to.match(new RegExp(`<p class="problem" id="field-${field}-problem">[^<]*${problem}`));
        expect(res.text, "what was typed stays in the form").to.match(new RegExp(`name="${field}"[^>]*\\s+value="${over[field]!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"`));
        expect({ targets: await targets(), audit: (await auditRows(t)).length }).to.deep.equal(before);
      });
    }

    it("is for admins only: an agent gets 403 and changes nothing; a post without the CSRF token is 403", async () => {
      const before = await targets();
      const alice = await as("alice");
      await alice.get("/admin/sla").expect(403);
      const byAgent = await postForm(alice, "/admin/sla", form({ urgent_first_response: "5 min" }), "/desk");
      expect(byAgent.status).to.equal(403);
      const admin = await as("admin");
      const noToken = await admin.post("/admin/sla").type("form").send(form({ urgent_first_response: "5 min" }));
      expect(noToken.status).to.equal(403);
      expect(await targets()).to.deep.equal(before);
      expect(await auditRows(t, "sla.targets_changed")).to.have.length(0);
    });
  });
});

describe("SLA clocks of a reset ticket", () => {
  const t2 = useTestApp({ smtp: true });

  it("has a decision clock (the priority's resolution target) that stops at approval, then counts the temporary password down", async () => {
    const id = await openRequest(t2);
    const opened = await clockOf(t2, id);
    expect((await ticketRow(t2, id)).priority).to.equal("high");
    expect(opened.firstResponseDue, "no first-response clock on a reset").to.equal(null);
    expect(opened.resolutionDue).to.equal(opened.createdAt + DAY);
    expect(opened.due).to.equal(opened.resolutionDue);
    const before = await (await signedIn(t2, "alice")).get(desk(id)).expect(200);
    expect(before.text).to.include("Decision due").and.include("Decision</dt>");

    await callBack(t2, await signedIn(t2, "alice"), id, "confirmed");
    expect((await clockOf(t2, id)).due, "a callback is not the decision").to.equal(opened.resolutionDue);
    expect((await approve(await signedIn(t2, "bob"), id)).status).to.equal(303);
    expect((await clockOf(t2, id)).due, "decided: no clock runs").to.equal(null);

    t2.clock.advance(3 * HOUR + 48 * MIN);
    const page = await (await signedIn(t2, "bob")).get(desk(id)).expect(200);
    expect(dueEntry(page.text)).to.include("No clock runs: the request was decided.");
    expect(/<dd id="temp-password-countdown">([^<]*)/.exec(page.text)![1]).to.match(/^expires in 20 h 12 min /);
  });
});
