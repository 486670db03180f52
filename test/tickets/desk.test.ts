import { expect } from "chai";
import type { Agent } from "../support/http.js";
import { act, addBetaAccount, openTicket, ticketRow, writeState } from "./helpers.js";
import { browsers } from "../support/sign-in.js";
import { postForm } from "../support/forms.js";
import { auditRows } from "../support/audit.js";
import { count } from "../support/rows.js";
import { userId } from "../support/users.js";
import { mailText, outboxTo } from "../support/mail.js";
import { useTestApp } from "../support/use-test-app.js";

describe("agent desk ticket page (/desk/tickets/:id)", () => {
  const t = useTestApp();
  let as: (username: string) => Promise<Agent>;
  let id: number;
  let page: string;

  beforeEach(async () => {
    await addBetaAccount(t);
    as = browsers(t);
    id = await openTicket(await as("erin"), { subject: "Beta cannot log in", body: "Since Monday." });
    page = `/desk/tickets/${id}`;
    await as("alice");
  });

  const post = async (who: string, action: string, form: Record<string, string>) => postForm(await as(who), `${page}/${action}`, form, page);

  it("shows agents and admins the whole ticket, internal notes marked as internal, and every form with its _csrf", async () => {
    await act(await as("alice"), `${page}/notes`, { body: "Checked the logs: nothing." }, page);
    for (const who of ["alice", "admin"]) {
      const res = await (await as(who)).get(page).expect(200);
      expect(res.text).to.include(`#${id} Beta cannot log in`).and.include("Since Monday.").and.include("BET · Beta Ltd").and.include("erin");
      expect(res.text).to.include("Checked the logs: nothing.").and.match(/event-internal[\s\S]*Internal — not shown to the customer[\s\S]*Checked the logs/);
      const forms = res.text.match(/<form method="post"/g) ?? [];
      const tokens = res.text.match(/name="_csrf"/g) ?? [];
      expect(forms.length).to.be.at.least(6);
      expect(tokens.length).to.equal(forms.length);
      for (const action of ["assign", "replies", "notes", "status", "priority"]) expect(res.text).to.include(`action="${page}/${action}"`);
      expect(res.text).to.include("Assign to me");
    }
  });

  it("keeps customers and visitors off the desk's pages and actions", async () => {
    for (const who of ["erin", "BET0001", "carol"]) {
      expect((await (await as(who)).get(page)).status, who).to.equal(403);
      expect((await postForm(await as(who), `${page}/notes`, { body: "sneaky" }, "/tickets")).status, who).to.equal(403);
    }
    expect(await count(t, "ticket_events")).to.equal(1);
  });

  it("a public reply queues exactly one mail, to the requester, with the reply and a link back; an internal note none", async () => {
    await act(await as("alice"), `${page}/replies`, { body: "Please try again now." }, page);
    const mails = await outboxTo(t);
    expect(mails).to.have.length(1);
    expect(mails[0]!.recipient).to.equal("erin@beta.example");
    expect(mails[0]!.template).to.equal("ticket-reply");
    expect(mails[0]!.subject).to.include(`#${id}`);
    const text = await mailText(mails[0]!.message);
    expect(text).to.include("Please try again now.").and.include(`${t.config.baseUrl}/tickets/${id}`);
    expect(Number(((await t.db("outbox").first()) as { ticket_id: number }).ticket_id)).to.equal(id);

    await act(await as("alice"), `${page}/notes`, { body: "Internal only: suspect SSO" }, page);
    expect(await outboxTo(t)).to.have.length(1);
    const customer = await (await as("erin")).get(`/tickets/${id}`).expect(200);
    expect(customer.text).to.include("Please try again now.").and.not.include("suspect SSO");

    await t.deliverMail();
    expect((await t.db("outbox").select("status")).map((r: { status: string }) => r.status)).to.deep.equal(["sent"]);
  });

  it("mails the requester on resolution, never on other status moves, and writes the status to the timeline and audit", async () => {
    await act(await as("alice"), `${page}/status`, { status: "open" }, page);
    await act(await as("alice"), `${page}/status`, { status: "pending_customer" }, page);
    expect(await outboxTo(t)).to.have.length(0);
    await act(await as("alice"), `${page}/status`, { status: "resolved" }, page);
    const mails = await outboxTo(t, "erin@beta.example");
    expect(mails.map((m) => m.template)).to.deep.equal(["ticket-resolved"]);
    expect(await mailText(mails[0]!.message)).to.include(`/tickets/${id}`).and.include("resolved");
    const row = await ticketRow(t, id);
    expect(row.status).to.equal("resolved");
    expect(row.resolved_at).to.not.equal(null);
    const audits = await auditRows(t, "ticket.status_changed");
    expect(audits.map((a) => [a.details.from, a.details.to, a.actor, a.subject])).to.deep.equal([
      ["new", "open", "alice", `ticket:${id}`],
      ["open", "pending_customer", "alice", `ticket:${id}`],
      ["pending_customer", "resolved", "alice", `ticket:${id}`],
    ]);
    const customer = await (await as("erin")).get(`/tickets/${id}`).expect(200);
    expect(customer.text).to.include("Resolved");
  });

  it("assigns to self with the button's form, to another agent, and back to nobody, each audited", async () => {
    const aliceId = await userId(t, "alice");
    const bobId = await userId(t, "bob");
    await act(await as("alice"), `${page}/assign`, { assignee_id: String(aliceId) }, page);
    expect(Number((await ticketRow(t, id)).assignee_id)).to.equal(aliceId);
    const shown = await (await as("alice")).get(page).expect(200);
    expect(shown.text).to.include("Alice Agent (alice)").and.not.include("Assign to me");
    await act(await as("alice"), `${page}/assign`, { assignee_id: String(bobId) }, page);
    expect(Number((await ticketRow(t, id)).assignee_id)).to.equal(bobId);
    await act(await as("bob"), `${page}/assign`, { assignee_id: "" }, page);
    expect((await ticketRow(t, id)).assignee_id).to.equal(null);
    const audits = await auditRows(t, "ticket.assigned");
    expect(audits.map((a) => [a.actor, a.details.from, a.details.to])).to.deep.equal([
      ["alice", null, "alice"],
      ["alice", "alice", "bob"],
      ["bob", "bob", null],
    ]);
    expect(await count(t, "ticket_events", { ticket_id: id, kind: "assignment", visibility: "internal" })).to.equal(3);
    expect(await outboxTo(t)).to.have.length(0);
  });

  it("changes the priority, on the timeline as internal", async () => {
    await act(await as("bob"), `${page}/priority`, { priority: "urgent" }, page);
    expect((await ticketRow(t, id)).priority).to.equal("urgent");
    expect(await count(t, "ticket_events", { ticket_id: id, kind: "priority", visibility: "internal" })).to.equal(1);
    const queue = await (await as("bob")).get("/desk").expect(200);
    expect(queue.text).to.match(/priority-urgent">urgent/);
  });

  it("refuses the generic status route on a primary reset ticket, naming why, and changes nothing", async () => {
    await t.db("tickets").where({ id }).update({ type: "primary_reset" });
    const before = await writeState(t);
    const res = await post("alice", "status", { status: "open" });
    expect(res.status).to.equal(400);
    expect(res.text).to.include("This ticket follows its reset request: its status moves with each step of the request, on its ticket page.");
    expect(await writeState(t)).to.deep.equal(before);
  });

  describe("bad input: a 400 naming the problem, nothing written", () => {
    const cases: [string, string, Record<string, string>, string][] = [
      ["empty reply", "replies", { body: "  " }, "Write a message."],
      ["missing reply", "replies", {}, "Write a message."],
      ["over-long reply", "replies", { body: "r".repeat(10_001) }, "Keep a message to 10,000 characters or fewer."],
      ["empty note", "notes", { body: "" }, "Write a message."],
      ["over-long note", "notes", { body: "n".repeat(10_001) }, "Keep a message to 10,000 characters or fewer."],
      ["non-numeric assignee", "assign", { assignee_id: "bob" }, "Choose an agent from the list."],
      ["missing assignee", "assign", {}, "Choose an agent from the list."],
      ["unknown assignee", "assign", { assignee_id: "987654" }, "There is no active agent with that id"],
      ["a customer as assignee", "assign", { assignee_id: "__erin__" }, "There is no active agent with that id"],
      ["unassigning an unassigned ticket", "assign", { assignee_id: "" }, "The ticket is already unassigned."],
      ["unknown status", "status", { status: "escalated" }, "Choose a status from the list."],
      ["missing status", "status", {}, "Choose a status from the list."],
      ["same status", "status", { status: "new" }, "The ticket is already new."],
      ["unknown priority", "priority", { priority: "critical" }, "Choose a priority from the list."],
      ["same priority", "priority", { priority: "normal" }, "The priority is already normal."],
    ];
    for (const [name, action, given, problem] of cases) {
      it(`${action}: ${name}`, async () => {
        const form = given.assignee_id === "__erin__" ? { assignee_id: String(await userId(t, "erin")) } : given;
        const before = await writeState(t);
        const res = await post("alice", action, form);
        expect(res.status, res.text.slice(0, 500)).to.equal(400);
        expect(res.text).to.include(problem).and.include('class="problem"');
        expect(await writeState(t)).to.deep.equal(before);
      });
    }

    it("keeps the typed reply when the form comes back", async () => {
      await t.db("tickets").where({ id }).update({ status: "closed" });
      const res = await post("alice", "notes", { body: "n".repeat(10_001) });
      expect(res.status).to.equal(400);
      const reply = await post("alice", "replies", { body: "Too late" });
      expect(reply.status).to.equal(400);
      expect(reply.text).to.include("closed and takes no more replies");
    });

    it("non-numeric and unknown ticket numbers are the same 404", async () => {
      const alice = await as("alice");
      for (const path of ["/desk/tickets/abc", "/desk/tickets/12x", "/desk/tickets/1.5", "/desk/tickets/424242"]) {
        const res = await alice.get(path);
        expect(res.status, path).to.equal(404);
        expect(res.text).to.include("There is no ticket with that number.");
      }
      expect((await postForm(alice, "/desk/tickets/abc/notes", { body: "x" }, page)).status).to.equal(404);
      expect((await alice.get("/desk/tickets/424242")).status).to.equal(404);
      expect((await postForm(alice, "/desk/tickets/424242/notes", { body: "x" }, page)).status).to.equal(404);
    });
  });
});
