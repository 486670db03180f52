import { expect } from "chai";
import { STAFF_NEW_TICKET } from "../../src/web/portal/portal-routes.js";
import { browser, type Agent } from "../support/http.js";
import { act, addBetaAccount, listedIds, openTicket, ticketRow, writeState } from "./helpers.js";
import { browsers } from "../support/sign-in.js";
import { postForm } from "../support/forms.js";
import { count } from "../support/rows.js";
import { userId } from "../support/users.js";
import { mailText, outboxTo } from "../support/mail.js";
import { useTestApp } from "../support/use-test-app.js";

describe("customer portal (/tickets)", () => {
  const t = useTestApp();
  let as: (username: string) => Promise<Agent>;

  beforeEach(async () => {
    await addBetaAccount(t);
    as = browsers(t);
  });

  it("opens a ticket with its first message, a status count and an audit entry, and shows it to its requester", async () => {
    const carol = await as("carol");
    const id = await openTicket(carol, { type: "general", subject: "Invoice question", body: "Why is it <b>so</b> high?" });
    const row = await ticketRow(t, id);
    expect(row).to.include({ status: "new", type: "general", subject: "Invoice question", priority: "normal" });
    expect(Number(row.requester_id)).to.equal(await userId(t, "carol"));
    expect(await count(t, "tickets", { status: "new" })).to.equal(1);
    expect(Number(((await t.db("ticket_status_counts").where({ status: "new" }).first()) as { n: number }).n)).to.equal(1);
    const audit = (await t.db("audit_log").where({ action: "ticket.created" })) as Record<string, unknown>[];
    expect(audit).to.have.length(1);
    expect(audit[0]!.subject).to.equal(`ticket:${id}`);
    expect(await count(t, "outbox")).to.equal(0);

    const page = await carol.get(`/tickets/${id}`).expect(200);
    expect(page.text).to.include(`#${id} Invoice question`).and.include("Why is it &lt;b&gt;so&lt;/b&gt; high?").and.include("New");
    expect(page.text).to.include('name="_csrf"');
  });

  it("lists a secondary's own tickets, and all of the account's to the primary, never another account's", async () => {
    const carolTicket = await openTicket(await as("carol"), { subject: "Carol ticket" });
    const daveTicket = await openTicket(await as("dave"), { subject: "Dave ticket" });
    const erinTicket = await openTicket(await as("erin"), { subject: "Erin ticket" });

    for (const path of ["/tickets", "/"]) {
      expect(listedIds((await (await as("carol")).get(path).expect(200)).text, "/tickets")).to.deep.equal([carolTicket]);
      expect(listedIds((await (await as("dave")).get(path).expect(200)).text, "/tickets")).to.deep.equal([daveTicket]);
      expect(listedIds((await (await as("ACM0001")).get(path).expect(200)).text, "/tickets")).to.deep.equal([daveTicket, carolTicket]);
      expect(listedIds((await (await as("BET0001")).get(path).expect(200)).text, "/tickets")).to.deep.equal([erinTicket]);
    }
    const primaryList = await (await as("ACM0001")).get("/tickets").expect(200);
    expect(primaryList.text).to.include("Carol ticket").and.include("Dave ticket").and.not.include("Erin ticket");
  });

  it("shows a ticket to its requester and the account's primary; another account's customer and a fellow secondary get 404", async () => {
    const id = await openTicket(await as("carol"), { subject: "Visible to few" });
    await (await as("carol")).get(`/tickets/${id}`).expect(200);
    const primary = await (await as("ACM0001")).get(`/tickets/${id}`).expect(200);
    expect(primary.text).to.include("Visible to few");
    for (const other of ["dave", "erin", "BET0001"]) {
      const res = await (await as(other)).get(`/tickets/${id}`);
      expect(res.status, other).to.equal(404);
      expect(res.text).to.not.include("Visible to few");
      const reply = await postForm(await as(other), `/tickets/${id}/replies`, { body: "Let me in" }, "/tickets/new");
      expect(reply.status, `${other} replying`).to.equal(404);
    }
    expect(await count(t, "ticket_events", { ticket_id: id })).to.equal(1);
    expect((await (await as("carol")).get("/tickets/999999")).status).to.equal(404);
  });

  it("sends staff from /tickets/:id to the desk's page, and keeps customers off the desk", async () => {
    const id = await openTicket(await as("carol"));
    const res = await (await as("alice")).get(`/tickets/${id}`).expect(303);
    expect(res.headers.location).to.equal(`/desk/tickets/${id}`);
    expect((await (await as("alice")).get("/tickets")).status).to.equal(403);
    for (const staff of ["alice", "admin"]) {
      const form = await (await as(staff)).get("/tickets/new");
      expect(form.status, `${staff} GET /tickets/new`).to.equal(403);
      expect(form.text).to.include(STAFF_NEW_TICKET).and.not.include('name="subject"');
    }
    expect((await (await as("carol")).get(`/desk/tickets/${id}`)).status).to.equal(403);
    expect((await (await as("carol")).get("/desk")).status).to.equal(403);
    expect((await browser(t.app).get("/tickets")).status).to.equal(303);
  });

  it("shows only the public timeline to customers: no internal note, assignment or priority change", async () => {
    const id = await openTicket(await as("carol"), { subject: "Secret-free" });
    const alice = await as("alice");
    const deskPage = `/desk/tickets/${id}`;
    await act(alice, `${deskPage}/notes`, { body: "INTERNAL: customer seems confused" }, deskPage);
    await act(alice, `${deskPage}/assign`, { assignee_id: String(await userId(t, "bob")) }, deskPage);
    await act(alice, `${deskPage}/priority`, { priority: "urgent" }, deskPage);
    await act(alice, `${deskPage}/replies`, { body: "We are looking into it." }, deskPage);
    for (const who of ["carol", "ACM0001"]) {
      const page = await (await as(who)).get(`/tickets/${id}`).expect(200);
      expect(page.text).to.include("We are looking into it.");
      expect(page.text).to.not.include("INTERNAL").and.not.include("Internal").and.not.include("bob").and.not.include("urgent");
    }
    const mails = await outboxTo(t, "carol@acme.example");
    expect(mails).to.have.length(1);
    const text = await mailText(mails[0]!.message);
    expect(text).to.include("We are looking into it.").and.include(`/tickets/${id}`).and.not.include("INTERNAL");
    expect(mails[0]!.message).to.not.include("INTERNAL");
  });

  it("reopens a resolved or waiting ticket when the customer replies, with a status event and audit entry", async () => {
    const carol = await as("carol");
    const alice = await as("alice");
    for (const waiting of ["resolved", "pending_customer"]) {
      const id = await openTicket(carol);
      await act(alice, `/desk/tickets/${id}/status`, { status: waiting }, `/desk/tickets/${id}`);
      const res = await postForm(carol, `/tickets/${id}/replies`, { body: "Still broken." }, `/tickets/${id}`);
      expect(res.status).to.equal(303);
      expect((await ticketRow(t, id)).status, waiting).to.equal("open");
      const audits = (await t.db("audit_log").where({ action: "ticket.status_changed", subject: `ticket:${id}` }).orderBy("seq")) as Record<string, unknown>[];
      expect(JSON.parse(audits[audits.length - 1]!.details as string)).to.include({ from: waiting, to: "open", reason: "customer reply" });
    }
    const openOne = await openTicket(carol);
    await act(carol, `/tickets/${openOne}/replies`, { body: "More detail." }, `/tickets/${openOne}`);
    expect((await ticketRow(t, openOne)).status).to.equal("new");
  });

  it("refuses a reply on a closed ticket with its reason, changing nothing", async () => {
    const carol = await as("carol");
    const id = await openTicket(carol);
    await act(await as("alice"), `/desk/tickets/${id}/status`, { status: "closed" }, `/desk/tickets/${id}`);
    const before = await writeState(t);
    const res = await postForm(carol, `/tickets/${id}/replies`, { body: "Hello?" }, `/tickets/${id}`);
    expect(res.status).to.equal(400);
    expect(res.text).to.include("closed and takes no more replies");
    expect(await writeState(t)).to.deep.equal(before);
  });

  describe("bad input: a 400 naming the problem, nothing written", () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ["empty form", {}, /Choose a type from the list[\s\S]*Write a subject[\s\S]*Write a message/],
      ["empty subject and body", { type: "general", subject: "   ", body: "" }, /Write a subject[\s\S]*Write a message/],
      ["over-long subject", { type: "general", subject: "x".repeat(201), body: "ok" }, /Keep a subject to 200 characters or fewer/],
      ["over-long body", { type: "general", subject: "ok", body: "y".repeat(10_001) }, /Keep a message to 10,000 characters or fewer/],
      ["unknown type", { type: "urgent_stuff", subject: "ok", body: "ok" }, /Choose a type from the list/],
      ["reset type", { type: "primary_reset", subject: "ok", body: "ok" }, /Choose a type from the list/],
    ];
    for (const [name, form, problem] of cases) {
      it(`new ticket: ${name}`, async () => {
        const carol = await as("carol");
        const before = await writeState(t);
        const res = await postForm(carol, "/tickets", form, "/tickets/new");
        expect(res.status).to.equal(400);
        expect(res.text).to.match(problem);
        expect(res.text).to.include('class="problem"').and.include('aria-invalid="true"');
        expect(await writeState(t)).to.deep.equal(before);
      });
    }

    it("keeps what was typed when the form comes back", async () => {
      const res = await postForm(await as("carol"), "/tickets", { type: "technical", subject: "Kept subject", body: "" }, "/tickets/new");
      expect(res.status).to.equal(400);
      expect(res.text).to.include('value="Kept subject"').and.match(/<option value="technical" selected>/);
    });

    it("reply: empty or over-long body", async () => {
      const carol = await as("carol");
      const id = await openTicket(carol);
      const before = await writeState(t);
      for (const [body, problem] of [["  ", "Write a message."], ["z".repeat(10_001), "Keep a message to 10,000 characters or fewer."]]) {
        const res = await postForm(carol, `/tickets/${id}/replies`, { body: body! }, `/tickets/${id}`);
        expect(res.status).to.equal(400);
        expect(res.text).to.include(problem);
      }
      expect(await writeState(t)).to.deep.equal(before);
    });

    it("non-numeric ticket numbers and bad page cursors", async () => {
      const carol = await as("carol");
      // The same 404 as a ticket of another account or none: a non-number names no ticket either.
      for (const path of ["/tickets/abc", "/tickets/1e3", "/tickets/-1", "/tickets/99999999999", "/tickets/424242"]) {
        const res = await carol.get(path);
        expect(res.status, path).to.equal(404);
        expect(res.text).to.include("That page does not exist, or you cannot see it.");
      }
      expect((await postForm(carol, "/tickets/abc/replies", { body: "x" }, "/tickets/new")).status).to.equal(404);
      const list = await carol.get("/tickets?after=yesterday");
      expect(list.status).to.equal(400);
      expect(list.text).to.include("This page link is broken");
    });
  });
});
