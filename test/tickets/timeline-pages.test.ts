/**
 * Issue 19, cheaper views: a ticket page shows its timeline a page at a time, on the desk and
 * the portal alike. The newest 50 events (oldest first, as the page reads), the ticket's first
 * message kept above them, and a plain "Show N older events" link (`?before=<event id>`) to the
 * next older page; a broken cursor is a 400 named at the timeline; a cursor never shows another
 * ticket's events, nor a customer an internal note, on any page.
 */
import { expect } from "chai";
import { addNote } from "../../src/tickets/index.js";
import { postFiles, tinyPdf } from "../support/files.js";
import type { Agent } from "../support/http.js";
import { browsers } from "../support/sign-in.js";
import { actorFor } from "../support/users.js";
import { useTestApp } from "../support/use-test-app.js";
import { addBetaAccount, seedTicket, timelineEvents, timelineText, writeState } from "./helpers.js";

/** The events a page shows, by id, in the order it shows them. */
const shownIds = (html: string) => [...html.matchAll(/<li class="event [^"]*" id="event-(\d+)"/g)].map((m) => Number(m[1]));

/** The path (without its anchor) of the page's link to older events, with the link's words; null when it has none. */
function olderLink(html: string): { path: string; anchor: string; text: string } | null {
  const match = /<a href="([^"#]*\?before=\d+)#([^"]+)">(Show \d+ older events?)<\/a>/.exec(html);
  return match ? { path: match[1]!, anchor: match[2]!, text: match[3]! } : null;
}

const BROKEN = "This link to older events is broken; start again from the newest events.";

describe("ticket pages: the timeline a page at a time", () => {
  const t = useTestApp();
  let as: (username: string) => Promise<Agent>;
  /** Erin's ticket of 120 events: her request, her replies, every fourth one alice's internal note, and (the 41st) a reply with a file. */
  let id: number;
  let ids: number[];
  let publicIds: number[];

  beforeEach(async function () {
    this.timeout(60_000);
    await addBetaAccount(t);
    as = browsers(t);
    id = await seedTicket(t, "erin", "A long conversation");
    await timelineEvents(t, id, "erin", 2, 40);
    const res = await postFiles(await as("erin"), `/tickets/${id}/replies`, { body: timelineText(41) }, [{ name: "page-two.pdf", content: tinyPdf("Two") }], `/tickets/${id}`);
    expect(res.status, res.text?.slice(0, 1000)).to.equal(303);
    await timelineEvents(t, id, "erin", 42, 120);
    const rows = (await t.db("ticket_events").where({ ticket_id: id }).orderBy("id").select("id", "visibility")) as { id: number; visibility: string }[];
    ids = rows.map((r) => Number(r.id));
    publicIds = rows.filter((r) => r.visibility === "public").map((r) => Number(r.id));
    expect(ids).to.have.length(120);
    expect(publicIds).to.have.length(90);
  });

  it("on the desk: the newest 50 under the first message and a link to 50 older, then the next 50, then the last page with no link", async () => {
    const alice = await as("alice");
    const first = (await alice.get(`/desk/tickets/${id}`).expect(200)).text;
    expect(shownIds(first)).to.deep.equal([ids[0], ...ids.slice(70)]);
    expect(first).to.include("Body of A long conversation").and.include("Event 120 is a note").and.include("Event 071 is a reply").and.not.include("Event 070");
    // The fold sits right under the first message, and says how much lies behind it.
    expect(first).to.match(new RegExp(`id="event-${ids[0]}"[\\s\\S]*id="older-events"[\\s\\S]*id="event-${ids[70]}"`));
    expect(olderLink(first)).to.deep.equal({ path: `/desk/tickets/${id}?before=${ids[70]}`, anchor: "older-events", text: "Show 50 older events" });
    expect(first).to.include("(69 in all)").and.not.include("Show the newest events").and.not.include("page-two.pdf");

    const second = (await alice.get(olderLink(first)!.path).expect(200)).text;
    expect(shownIds(second)).to.deep.equal([ids[0], ...ids.slice(20, 70)]);
    expect(second).to.include('<li class="timeline-gap" id="older-events">').and.include("page-two.pdf");
    expect(olderLink(second)).to.deep.equal({ path: `/desk/tickets/${id}?before=${ids[20]}`, anchor: "older-events", text: "Show 19 older events" });
    expect(second).to.include(`<a href="/desk/tickets/${id}#timeline-heading">Show the newest events</a>`).and.not.include("in all)");

    const last = (await alice.get(olderLink(second)!.path).expect(200)).text;
    expect(shownIds(last)).to.deep.equal(ids.slice(0, 20));
    expect(olderLink(last)).to.equal(null);
    // Nothing is folded: the link to this page lands at the start of the list.
    expect(last).to.include('<ol class="timeline" id="older-events">').and.include("Show the newest events").and.not.include("timeline-gap");
    // The forms stay on every page, the reply box under the conversation.
    for (const html of [first, second, last]) expect(html).to.include(`action="/desk/tickets/${id}/replies"`).and.include("Customer history");
  });

  it("on the portal: the public events only, paged the same way, and never an internal note on any page", async () => {
    for (const who of ["erin", "BET0001"]) {
      const customer = await as(who);
      const first = (await customer.get(`/tickets/${id}`).expect(200)).text;
      expect(shownIds(first), who).to.deep.equal([publicIds[0], ...publicIds.slice(40)]);
      expect(olderLink(first)).to.deep.equal({ path: `/tickets/${id}?before=${publicIds[40]}`, anchor: "older-events", text: "Show 39 older events" });
      const last = (await customer.get(olderLink(first)!.path).expect(200)).text;
      expect(shownIds(last)).to.deep.equal(publicIds.slice(0, 40));
      expect(olderLink(last)).to.equal(null);
      expect(last).to.include("page-two.pdf").and.include(`<a href="/tickets/${id}#timeline-heading">Show the newest events</a>`);
      // A cursor at a note shows what is older than it, never the note.
      const atNote = (await customer.get(`/tickets/${id}?before=${ids[99]}`).expect(200)).text;
      expect(shownIds(atNote)).to.deep.equal([publicIds[0], ...publicIds.filter((e) => e < ids[99]!).slice(-50)]);
      for (const html of [first, last, atNote]) {
        expect(html).to.not.include("note for the team").and.not.include("event-internal").and.not.include("Internal —");
        for (const shown of shownIds(html)) expect(publicIds, `event ${shown} on ${who}'s page`).to.include(shown);
      }
    }
  });

  it("reads from the timeline only what the page shows: one page and one more, the first message, and the shown events' files", async () => {
    const alice = await as("alice");
    await alice.get(`/desk/tickets/${id}`).expect(200); // the session's first page may write what later ones only read
    const read: Record<string, number> = {};
    const listen = (response: unknown, q: { sql: string }) => {
      for (const table of ["ticket_events", "attachments"]) if (q.sql.includes(`"${table}"`) || q.sql.includes(`\`${table}\``)) read[table] = (read[table] ?? 0) + (Array.isArray(response) ? response.length : response ? 1 : 0);
    };
    t.db.on("query-response", listen);
    for (const path of [`/desk/tickets/${id}`, `/desk/tickets/${id}?before=${ids[70]}`]) await alice.get(path).expect(200);
    t.db.off("query-response", listen);
    // Two pages: 51 rows and the first message each; the file of the 41st event once, on the page that shows it.
    expect(read).to.deep.equal({ ticket_events: 2 * (51 + 1), attachments: 1 });
  });

  it("refuses a broken cursor with a 400 named at the timeline, showing no events and changing nothing", async () => {
    const pages = [[await as("alice"), `/desk/tickets/${id}`], [await as("erin"), `/tickets/${id}`]] as const;
    const before = await writeState(t);
    for (const [agent, page] of pages) {
      for (const query of ["before=abc", "before=0", "before=-5", "before=1.5", "before=99999999999", "before=1e3", "before=1&before=2"]) {
        const res = await agent.get(`${page}?${query}`);
        expect(res.status, `${page}?${query}`).to.equal(400);
        expect(res.text).to.include(`<p class="problem" id="field-before">${BROKEN}`).and.include('href="#field-before"');
        expect(shownIds(res.text), query).to.deep.equal([]);
        expect(res.text).to.include(`<a href="${page}#timeline-heading">Show the newest events</a>`).and.include(`action="${page}/replies"`);
      }
    }
    expect(await writeState(t)).to.deep.equal(before);
  });

  it("shows nothing of another ticket for its event's id, and nothing at all of another account's ticket", async () => {
    const other = await seedTicket(t, "carol", "Carol's confidential printer");
    const deps = { db: t.db, clock: t.clock, mailer: t.mailer };
    expect((await addNote(deps, await actorFor(t, "alice"), other, "Carol's account is overdue.")).ok).to.equal(true);
    const otherIds = ((await t.db("ticket_events").where({ ticket_id: other }).orderBy("id").select("id")) as { id: number }[]).map((r) => Number(r.id));
    const foreign = [...otherIds, otherIds[0]! + 1];
    for (const [who, page, mine] of [["alice", `/desk/tickets/${id}`, ids], ["erin", `/tickets/${id}`, publicIds]] as const) {
      const agent = await as(who);
      for (const cursor of foreign) {
        const html = (await agent.get(`${page}?before=${cursor}`).expect(200)).text;
        expect(html).to.not.include("Carol's confidential").and.not.include("overdue");
        expect(shownIds(html).length).to.be.greaterThan(0);
        for (const shown of shownIds(html)) expect(mine, `${who}: event ${shown}`).to.include(shown);
      }
    }
    // Another account's customer gets the same 404 with or without a cursor, and so does a fellow secondary.
    for (const [who, path] of [["carol", `/tickets/${id}?before=${ids[70]}`], ["dave", `/tickets/${other}?before=${otherIds[1]}`], ["erin", `/tickets/${other}?before=${otherIds[1]}`]] as const) {
      const res = await (await as(who)).get(path);
      expect(res.status, `${who} ${path}`).to.equal(404);
      expect(res.text).to.not.include("Carol's confidential").and.not.include("A long conversation").and.not.include('id="event-');
    }
  });

  it("a short ticket is one page: every event, no fold, no link", async () => {
    const short = await seedTicket(t, "erin", "A short one");
    const html = (await (await as("alice")).get(`/desk/tickets/${short}`).expect(200)).text;
    expect(shownIds(html)).to.have.length(1);
    expect(html).to.include("Body of A short one").and.not.include("older-events").and.not.include("Show the newest events");
  });
});
