import { expect } from "chai";
import { browser, type Agent } from "../support/http.js";
import { act, addBetaAccount, listedIds, seedTicket, ticketRow, writeState } from "./helpers.js";
import { openRequest } from "../resets/helpers.js";
import { auditRows } from "../support/audit.js";
import { csrfToken } from "../support/forms.js";
import { browsers } from "../support/sign-in.js";
import { userId } from "../support/users.js";
import { useTestApp } from "../support/use-test-app.js";

describe("bulk actions on the queue (POST /desk/bulk)", () => {
  const t = useTestApp();
  let as: (username: string) => Promise<Agent>;
  let ids: number[];

  beforeEach(async () => {
    await addBetaAccount(t);
    as = browsers(t);
    ids = [];
    for (const subject of ["First bulk case", "Second bulk case", "Third bulk case"]) ids.push(await seedTicket(t, "erin", subject));
    // Signed in before any snapshot: a sign-in writes its own audit entry.
    await as("alice");
  });

  /** Posts the bulk form as a browser does: repeated `ticket_ids`, the session's `_csrf` from the queue. */
  async function bulk(who: string, fields: [string, string][], csrf = true) {
    const agent = await as(who);
    const form = new URLSearchParams(fields);
    if (csrf) form.append("_csrf", await csrfToken(agent, who === "alice" || who === "bob" || who === "admin" ? "/desk" : "/tickets"));
    return agent.post("/desk/bulk").type("form").send(form.toString());
  }
  const selecting = (list: number[]): [string, string][] => list.map((id) => ["ticket_ids", String(id)]);

  /** Follows the redirect back to the queue and returns the page with its summary. */
  async function backTo(who: string, res: { status: number; text: string; headers: Record<string, string> }) {
    expect(res.status, res.text.slice(0, 1500)).to.equal(303);
    return (await as(who)).get(res.headers.location!).expect(200);
  }

  it("the queue has a checkbox per row, labelled with its ticket, tied to one form with _csrf and the way back", async () => {
    const res = await (await as("alice")).get("/desk?view=all&status=new").expect(200);
    expect(res.text).to.match(/<form method="post" action="\/desk\/bulk" id="bulk"[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]+">/);
    expect(res.text).to.include('name="return_to" value="/desk?view=all&amp;status=new"');
    for (const id of ids) {
      expect(res.text).to.include(`<input type="checkbox" form="bulk" name="ticket_ids" value="${id}" id="select-${id}">`);
      expect(res.text).to.include(`<label for="select-${id}" class="visually-hidden">Select #${id}</label>`);
    }
    expect(res.text).to.include('name="action" value="assign"').and.include('name="action" value="status"');
    expect(listedIds(res.text, "/desk/tickets")).to.have.members(ids);
  });

  it("assigns several tickets to an agent, each audited and on its timeline, and says so on the same view", async () => {
    const [bob, alice] = [await userId(t, "bob"), await userId(t, "alice")];
    const res = await bulk("alice", [...selecting(ids), ["action", "assign"], ["assignee_id", String(bob)], ["return_to", "/desk?view=unassigned&type=general"]]);
    expect(res.headers.location).to.equal("/desk?view=unassigned&type=general");
    const page = await backTo("alice", res);
    expect(page.text).to.include("3 tickets assigned to bob.").and.include("Queue: Unassigned");
    for (const id of ids) expect(Number((await ticketRow(t, id)).assignee_id)).to.equal(bob);
    const audits = await auditRows(t, "ticket.assigned");
    expect(audits.map((a) => [a.subject, a.actor, a.details.to])).to.deep.equal(ids.map((id) => [`ticket:${id}`, "alice", "bob"]));
    const events = (await t.db("ticket_events").where({ kind: "assignment" }).orderBy("id")) as { ticket_id: number; author_id: number }[];
    expect(events.map((e) => [Number(e.ticket_id), Number(e.author_id)])).to.deep.equal(ids.map((id) => [id, alice]));
  });

  it("assigns to me and to nobody; a ticket already so assigned is refused and named", async () => {
    const alice = await userId(t, "alice");
    await act(await as("alice"), `/desk/tickets/${ids[0]}/assign`, { assignee_id: String(alice) }, `/desk/tickets/${ids[0]}`);
    const mine = await backTo("alice", await bulk("alice", [...selecting(ids), ["action", "assign"], ["assignee_id", "me"], ["return_to", "/desk"]]));
    expect(mine.text).to.include(`2 tickets assigned to alice; 1 refused. #${ids[0]}: The ticket is already assigned to alice.`);
    for (const id of ids) expect(Number((await ticketRow(t, id)).assignee_id)).to.equal(alice);

    const nobody = await backTo("alice", await bulk("alice", [...selecting(ids.slice(0, 2)), ["action", "assign"], ["assignee_id", "unassigned"]]));
    expect(nobody.text).to.include("2 tickets unassigned.");
    expect((await ticketRow(t, ids[0]!)).assignee_id).to.equal(null);
    expect(Number((await ticketRow(t, ids[2]!)).assignee_id)).to.equal(alice);
  });

  it("changes the status of several, one by one through the status table: a closed ticket and a reset ticket are refused, the others move", async () => {
    const [open, fresh, closed] = ids as [number, number, number];
    await act(await as("alice"), `/desk/tickets/${open}/status`, { status: "open" }, `/desk/tickets/${open}`);
    await act(await as("alice"), `/desk/tickets/${closed}/status`, { status: "closed" }, `/desk/tickets/${closed}`);
    const reset = await openRequest(t, "carol");
    const before = await auditRows(t, "ticket.status_changed");

    const res = await bulk("admin", [...selecting([open, fresh, closed, reset]), ["action", "status"], ["status", "resolved"], ["return_to", "/desk?view=all"]]);
    const page = await backTo("admin", res);
    expect(page.text).to.include(
      `2 tickets set to Resolved; 2 refused. #${closed}: A closed ticket cannot change status; open a new ticket instead. #${reset}: This ticket follows its reset request: its status moves with each step of the request, on its ticket page.`,
    );
    expect((await ticketRow(t, open)).status).to.equal("resolved");
    expect((await ticketRow(t, fresh)).status).to.equal("resolved");
    expect((await ticketRow(t, closed)).status).to.equal("closed");
    expect((await ticketRow(t, reset)).status).to.equal("new");
    const after = (await auditRows(t, "ticket.status_changed")).slice(before.length);
    expect(after.map((a) => [a.subject, a.actor, a.details.from, a.details.to])).to.deep.equal([
      [`ticket:${open}`, "admin", "open", "resolved"],
      [`ticket:${fresh}`, "admin", "new", "resolved"],
    ]);
  });

  it("when every ticket is refused, nothing changes and the summary says so", async () => {
    const state = await writeState(t);
    const page = await backTo("alice", await bulk("alice", [...selecting([ids[0]!]), ["action", "status"], ["status", "new"]]));
    expect(page.text).to.include(`No ticket changed; 1 refused. #${ids[0]}: The ticket is already new.`);
    expect(await writeState(t)).to.deep.equal(state);
  });

  it("a ticket selected twice changes once", async () => {
    const page = await backTo("alice", await bulk("alice", [...selecting([ids[0]!, ids[0]!]), ["action", "status"], ["status", "open"]]));
    expect(page.text).to.include("1 ticket set to Open.");
    expect(await auditRows(t, "ticket.status_changed")).to.have.length(1);
  });

  describe("bad input is a 400 naming the field, with nothing changed", () => {
    const bad: [string, () => [string, string][], string, string][] = [
      ["no ticket selected", () => [["action", "status"], ["status", "open"]], "ticket_ids", "Select at least one ticket in the queue."],
      ["no action", () => [...selecting(ids), ["status", "open"]], "action", "Choose what to do with the selected tickets: assign them or set their status."],
      ["an unknown action", () => [...selecting(ids), ["action", "delete"], ["status", "open"]], "action", "Choose what to do with the selected tickets"],
      ["assign without an assignee", () => [...selecting(ids), ["action", "assign"]], "assignee_id", "Choose who gets the selected tickets: you, nobody or an agent."],
      ["assign to an empty choice", () => [...selecting(ids), ["action", "assign"], ["assignee_id", ""]], "assignee_id", "Choose who gets the selected tickets"],
      ["assign to a word", () => [...selecting(ids), ["action", "assign"], ["assignee_id", "bob"]], "assignee_id", "Choose who gets the selected tickets"],
      ["assign to no such login", () => [...selecting(ids), ["action", "assign"], ["assignee_id", "99999"]], "assignee_id", "There is no active agent with that id; choose one from the list."],
      ["status without a status", () => [...selecting(ids), ["action", "status"]], "bulk_status", "Choose the status to set on the selected tickets."],
      ["an unknown status", () => [...selecting(ids), ["action", "status"], ["status", "deleted"]], "bulk_status", "Choose the status to set on the selected tickets."],
      ["a malformed id", () => [...selecting(ids), ["ticket_ids", "abc"], ["action", "status"], ["status", "open"]], "ticket_ids", "The selection holds something that is not a ticket number"],
      ["a zero id", () => [["ticket_ids", "0"], ["action", "status"], ["status", "open"]], "ticket_ids", "not a ticket number"],
      ["an id too long for the column", () => [["ticket_ids", "99999999999"], ["action", "status"], ["status", "open"]], "ticket_ids", "not a ticket number"],
      ["an unknown id beside known ones", () => [...selecting(ids), ["ticket_ids", "99999"], ["action", "status"], ["status", "open"]], "ticket_ids", "There is no ticket #99999; reload the queue and select again."],
      ["more ids than a page", () => [...selecting(Array.from({ length: 51 }, (_, i) => i + 1)), ["action", "status"], ["status", "open"]], "ticket_ids", "Select at most 50 tickets at once (one page of the queue)."],
    ];
    for (const [name, fields, key, problem] of bad) {
      it(name, async () => {
        const state = await writeState(t);
        const res = await bulk("alice", [...fields(), ["return_to", "/desk?view=all"]]);
        expect(res.status, res.text.slice(0, 1500)).to.equal(400);
        // The queue again, of the same view, its problem in the summary and beside the bulk form.
        expect(res.text).to.include("<title>Error:").and.include("Queue: All").and.include(`href="#field-${key}"`).and.include(problem);
        expect(res.text).to.match(new RegExp(`id="field-${key}(-problem)?"[^>]*>[^<]*${problem.slice(0, 20)}`));
        expect(await writeState(t)).to.deep.equal(state);
      });
    }

    it("keeps the chosen rows and fields when it shows the form again", async () => {
      const res = await bulk("alice", [...selecting([ids[1]!]), ["action", "status"], ["assignee_id", "me"], ["return_to", "/desk?view=all"]]);
      expect(res.status).to.equal(400);
      expect(res.text).to.include(`value="${ids[1]}" id="select-${ids[1]}" checked>`).and.include(`value="${ids[0]}" id="select-${ids[0]}">`);
      expect(res.text).to.match(/<option value="me" selected>Me<\/option>/);
    });
  });

  describe("the way back", () => {
    for (const [given, expected] of [
      ["/desk?view=mine&q=printer&after=abc", "/desk?view=mine&q=printer&after=abc"],
      ["https://evil.example/desk", "/desk"],
      ["//evil.example/desk", "/desk"],
      ["/admin/accounts", "/desk"],
      ["/desktop", "/desk"],
      ["", "/desk"],
    ] as const) {
      it(`return_to ${JSON.stringify(given)} comes back to ${expected}`, async () => {
        const res = await bulk("alice", [...selecting([ids[0]!]), ["action", "assign"], ["assignee_id", "me"], ["return_to", given]]);
        expect(res.status).to.equal(303);
        expect(res.headers.location).to.equal(expected);
      });
    }
  });

  describe("who may", () => {
    it("customers get 403, and nothing changes", async () => {
      const customers = ["erin", "BET0001", "carol"];
      for (const who of customers) await as(who);
      const state = await writeState(t);
      for (const who of customers) {
        const res = await bulk(who, [...selecting(ids), ["action", "status"], ["status", "closed"]]);
        expect(res.status, who).to.equal(403);
      }
      expect(await writeState(t)).to.deep.equal(state);
    });

    it("a visitor who is not signed in gets 403, and nothing changes", async () => {
      const state = await writeState(t);
      const res = await browser(t.app).post("/desk/bulk").type("form").send(new URLSearchParams([...selecting(ids), ["action", "status"], ["status", "closed"]]).toString());
      // No session, so no CSRF token: the form is refused before the sign-in check.
      expect(res.status, res.text.slice(0, 300)).to.equal(403);
      expect(await writeState(t)).to.deep.equal(state);
    });

    it("without a valid CSRF token it is 403, and nothing changes", async () => {
      const state = await writeState(t);
      const res = await bulk("alice", [...selecting(ids), ["action", "status"], ["status", "closed"], ["_csrf", "forged"]], false);
      expect(res.status).to.equal(403);
      expect(res.text).to.include("This form has expired or did not come from this site.");
      expect(await writeState(t)).to.deep.equal(state);
    });
  });
});
