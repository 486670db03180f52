import { expect } from "chai";
import type { Agent } from "../support/http.js";
import { postForm } from "../support/forms.js";
import { browsers } from "../support/sign-in.js";
import { useTestApp } from "../support/use-test-app.js";
import type { Row } from "../support/rows.js";
import { changeContactPhone } from "../accounts/helpers.js";
import { callBack, deskPage, openRequest, reject } from "../resets/helpers.js";
import { act, addBetaAccount, openTicket, seedTicket } from "./helpers.js";

// Issue 16 item 1: the desk's ticket page beside the conversation shows the customer's history
// (the account's other open tickets, its other reset requests with their outcomes, its last
// record changes with who made them); the customer never sees it; the callback form folds away.

/** The customer history section of a desk ticket page ("" when it has none). */
const historyOf = (html: string) => /<section class="card history"[\s\S]*?<\/section>/.exec(html)?.[0] ?? "";

/** The history's list under a heading (its items' HTML, or "" when the heading is followed by "None"). */
function listUnder(history: string, heading: string): string[] {
  const after = history.split(`<h3>${heading}</h3>`)[1] ?? "";
  const list = /^\s*<ul class="history-list">([\s\S]*?)<\/ul>/.exec(after)?.[1] ?? "";
  return list.split("<li>").slice(1);
}

describe("desk ticket page: the customer's history beside the conversation", () => {
  const t = useTestApp();
  let as: (username: string) => Promise<Agent>;

  beforeEach(() => {
    as = browsers(t);
  });

  const accountId = async (code: string) => Number(((await t.db("accounts").where({ code }).first("id")) as Row).id);

  it("lists the account's other open tickets (not a closed one, not this one, not another account's), with links", async () => {
    await addBetaAccount(t);
    const carol = await as("carol");
    const current = await openTicket(carol, { subject: "Invoices are late" });
    const other = await openTicket(carol, { subject: "The printer is on fire" });
    const closed = await openTicket(carol, { subject: "Old question, answered" });
    const beta = await openTicket(await as("erin"), { subject: "Beta cannot log in" });
    const alice = await as("alice");
    await act(alice, `${deskPage(closed)}/status`, { status: "closed" }, deskPage(closed));

    const open = listUnder(historyOf((await alice.get(deskPage(current)).expect(200)).text), "Other open tickets");
    expect(open, "one other open ticket").to.have.length(1);
    expect(open[0]).to.include(`<a href="/desk/tickets/${other}">#${other} The printer is on fire</a>`).and.include("ticket-status status-new");
    const history = historyOf((await alice.get(deskPage(current)).expect(200)).text);
    for (const absent of [closed, current, beta]) expect(history, `#${absent} is not listed`).to.not.include(`/desk/tickets/${absent}"`);
  });

  it("lists an earlier rejected reset request with its outcome and reason, and a recent record change with who made it", async () => {
    const alice = await as("alice");
    const earlier = await openRequest(t);
    expect((await reject(alice, earlier, "The callback could not confirm who asked.")).status).to.equal(303);
    const admin = await as("admin");
    expect((await changeContactPhone(t, admin, "Paula Primary", "+44 20 7946 0999")).status).to.equal(303);
    const current = await openRequest(t);

    const history = historyOf((await (await as("alice")).get(deskPage(current)).expect(200)).text);
    const resets = listUnder(history, "Reset requests");
    expect(resets, "the earlier request only, not this ticket's").to.have.length(1);
    expect(resets[0]).to.include(`<a href="/desk/tickets/${earlier}">#${earlier}</a>`);
    expect(resets[0]).to.match(/class="badge reset-stage stage-rejected">rejected<\/span>/).and.include("Reason: The callback could not confirm who asked.");
    const changes = listUnder(history, "Recent record changes");
    expect(changes, "the phone change").to.have.length(1);
    expect(changes[0]).to.include("The phone number of Paula Primary on the account&#39;s contacts changed").and.include("by admin,");
  });

  it("links the admin account page for admins only: an agent gets no link to a page that refuses them", async () => {
    const ticket = await openTicket(await as("carol"));
    const link = `href="/admin/accounts/${await accountId("ACM")}`;
    expect((await (await as("admin")).get(deskPage(ticket)).expect(200)).text).to.include(link);
    const agentPage = (await (await as("alice")).get(deskPage(ticket)).expect(200)).text;
    expect(agentPage).to.not.include("/admin/");
    expect(historyOf(agentPage), "the agent still sees the history").to.include("Customer history");
  });

  it("reads the history in the same number of queries however many rows it lists, ten of each with a link to the queue for more", async function () {
    this.timeout(60_000);
    const carol = await as("carol");
    const ticket = await openTicket(carol, { subject: "The ticket being read" });
    await seedTicket(t, "carol", "Another open one");
    const alice = await as("alice");
    expect((await reject(alice, await openRequest(t), "Not confirmed.")).status).to.equal(303);
    const admin = await as("admin");
    expect((await changeContactPhone(t, admin, "Paula Primary", "+44 20 7946 0999")).status).to.equal(303);

    const queriesOfPage = async () => {
      let n = 0;
      // The session store saves a session now and then (its last activity): not the page's reads.
      const listen = (q: { sql: string }) => void (q.sql.includes("sessions") ? 0 : n++);
      t.db.on("query", listen);
      const html = (await alice.get(deskPage(ticket)).expect(200)).text;
      t.db.off("query", listen);
      return { n, history: historyOf(html) };
    };
    await queriesOfPage(); // the session's first page may write what later ones only read
    const few = await queriesOfPage();
    expect(listUnder(few.history, "Other open tickets")).to.have.length(1);

    for (let i = 0; i < 12; i++) await seedTicket(t, "carol", `Seeded ${i}`);
    for (let i = 0; i < 11; i++) {
      expect((await reject(alice, await openRequest(t), `Not confirmed ${i}.`)).status).to.equal(303);
      expect((await changeContactPhone(t, admin, "Paula Primary", `+44 20 7946 01${String(i).padStart(2, "0")}`)).status).to.equal(303);
    }
    const many = await queriesOfPage();
    expect(many.n, "queries of the page with many history rows").to.equal(few.n);
    for (const heading of ["Other open tickets", "Reset requests", "Recent record changes"]) expect(listUnder(many.history, heading), heading).to.have.length(10);
    expect(many.history).to.include('href="/desk?account=ACM"').and.include('href="/desk?view=all&amp;type=primary_reset&amp;account=ACM"');
    expect(few.history).to.not.include('href="/desk?');
  });

  it("is the desk's only: the customer's own ticket page has none of it, and a customer cannot open the desk page", async () => {
    const alice = await as("alice");
    const rejected = await openRequest(t);
    expect((await reject(alice, rejected, "The callback could not confirm who asked.")).status).to.equal(303);
    const carol = await as("carol");
    const ticket = await openTicket(carol, { subject: "Invoices are late" });
    await openTicket(carol, { subject: "The printer is on fire" });
    expect(historyOf((await alice.get(deskPage(ticket)).expect(200)).text), "the desk shows it").to.include("The printer is on fire");

    for (const who of ["carol", "ACM0001"]) {
      const customer = await as(who);
      const own = (await customer.get(`/tickets/${ticket}`).expect(200)).text;
      expect(own, `${who}'s ticket page`).to.include("Invoices are late");
      for (const secret of ["Customer history", "Other open tickets", "Reset requests", "Recent record changes", "The printer is on fire", `/tickets/${rejected}"`, "/desk/"]) {
        expect(own, `${who}'s page shows no ${secret}`).to.not.include(secret);
      }
      const desk = await customer.get(deskPage(ticket));
      expect(desk.status, `${who} on the desk page`).to.equal(403);
      expect(desk.text).to.not.include("Customer history");
    }
  });

  describe("the reset panel", () => {
    it("puts the checklist and the decision before the records, and folds the callback form once a callback confirmed the request", async () => {
      const ticketId = await openRequest(t);
      const alice = await as("alice");
      const page = async () => (await alice.get(deskPage(ticketId)).expect(200)).text;
      const first = await page();
      expect(first.indexOf("Approval checklist")).to.be.below(first.indexOf("Contacts on file"));
      expect(first.indexOf('action="/desk/tickets/' + ticketId + '/reject"')).to.be.below(first.indexOf("Contacts on file"));
      expect(first).to.include('<details class="callback-form" open>').and.include("<summary>Record a callback</summary>");

      expect((await callBack(t, alice, ticketId, "no_answer")).status).to.equal(303);
      expect(await page(), "no answer: still open").to.include('<details class="callback-form" open>');

      expect((await callBack(t, alice, ticketId, "confirmed")).status).to.equal(303);
      const folded = await page();
      expect(folded).to.include('<details class="callback-form">').and.include("<summary>Record another callback</summary>");
      expect(folded, "the form is still there, folded").to.include(`action="/desk/tickets/${ticketId}/callbacks"`);

      // A refused callback comes back unfolded, its problem by its field.
      const callbacks = await t.db("callbacks").count({ n: "*" });
      const refused = await postForm(alice, `${deskPage(ticketId)}/callbacks`, { contact_id: "", outcome: "confirmed", notes: "" }, deskPage(ticketId));
      expect(refused.status).to.equal(400);
      expect(refused.text).to.include('<details class="callback-form" open>').and.include('id="field-contact_id-problem"');
      expect(await t.db("callbacks").count({ n: "*" }), "no callback recorded").to.deep.equal(callbacks);
    });
  });
});
