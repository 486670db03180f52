import { expect } from "chai";
import { browser, type Agent } from "../support/http.js";
import { signedIn } from "../support/sign-in.js";
import { csrfToken, postForm } from "../support/forms.js";
import type { Row } from "../support/rows.js";
import { auditRows } from "../support/audit.js";
import { useTestApp } from "../support/use-test-app.js";
import { openTicket, seedTicket, writeState } from "./helpers.js";
import { openRequest } from "../resets/helpers.js";

const LIST = "/admin/canned-replies";
const GREETING = "Dear {{requester_name}},\n\nThank you for ticket {{ticket_number}} ({{ticket_subject}}) for {{ account_name }} ({{account_code}}).\n\n{{agent_name}}";

/** The text of the page's textarea `id`, as a browser would show it. */
function boxText(html: string, id: string): string {
  const match = new RegExp(`<textarea id="${id}"[^>]*>([^<]*)</textarea>`).exec(html);
  expect(match, `textarea ${id}`).to.not.equal(null);
  return match![1]!.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
}

describe("canned replies", () => {
  const t = useTestApp();
  let admin: Agent;
  beforeEach(async () => {
    admin = await signedIn(t, "admin");
  });

  const create = (form: Record<string, string>) => postForm(admin, LIST, form, LIST);
  const cannedRows = async () => (await t.db("canned_replies").orderBy("id")) as Row[];
  const idOf = async (title: string) => Number(((await t.db("canned_replies").where({ title }).first("id")) as Row).id);
  // Signing in is audited too: what must not move is the list and its own audit entries.
  const state = async () => ({ rows: await cannedRows(), audit: (await auditRows(t)).filter((r) => r.action.startsWith("canned_reply.")).length });

  describe("the admin's list", () => {
    it("adds, edits and deletes (after a ticked confirmation) canned replies, each audited", async () => {
      const added = await create({ title: "Welcome", body: GREETING });
      expect(added.status, added.text.slice(0, 1500)).to.equal(303);
      expect(added.headers.location).to.equal(LIST);
      const id = await idOf("Welcome");
      const list = await admin.get(LIST).expect(200);
      expect(list.text).to.include(`<a href="${LIST}/${id}">Welcome</a>`).and.include("by admin");
      expect((await auditRows(t, "canned_reply.created"))[0]).to.include({ actor: "admin", subject: `canned_reply:${id}` });

      const edit = await admin.get(`${LIST}/${id}`).expect(200);
      expect(edit.text).to.include('value="Welcome"').and.include("{{agent_name}}");
      expect((await postForm(admin, `${LIST}/${id}`, { title: "Welcome back", body: "Hello {{requester_name}}." }, `${LIST}/${id}`)).status).to.equal(303);
      expect((await cannedRows()).map((r) => [r.title, r.body])).to.deep.equal([["Welcome back", "Hello {{requester_name}}."]]);
      const updated = await auditRows(t, "canned_reply.updated");
      expect(updated[0]!.details).to.deep.include({ before: { title: "Welcome", body: GREETING }, after: { title: "Welcome back", body: "Hello {{requester_name}}." } });

      // Deleting without the box ticked is refused, named next to the box; nothing changes.
      const before = await state();
      const unconfirmed = await postForm(admin, `${LIST}/${id}/delete`, {}, `${LIST}/${id}`);
      expect(unconfirmed.status).to.equal(400);
      expect(unconfirmed.text).to.include('id="field-confirm-problem">Tick the box to confirm');
      expect(await state()).to.deep.equal(before);

      const deleted = await postForm(admin, `${LIST}/${id}/delete`, { confirm: "1" }, `${LIST}/${id}`);
      expect(deleted.status).to.equal(303);
      expect(await cannedRows()).to.deep.equal([]);
      expect((await auditRows(t, "canned_reply.deleted"))[0]!.details).to.include({ title: "Welcome back" });
      expect((await admin.get(`${LIST}/${id}`)).status).to.equal(404);
    });

    it("refuses a bad title or body with a 400 named at the field, nothing changed", async () => {
      expect((await create({ title: "Welcome", body: "Hello." })).status).to.equal(303);
      const before = await state();
      for (const [form, field, problem] of [
        [{ title: "  ", body: "Hello." }, "title", "Enter a title."],
        [{ title: "x".repeat(121), body: "Hello." }, "title", "Titles are at most 120 characters."],
        [{ title: " WELCOME ", body: "Hello." }, "title", "A canned reply with this title exists already: choose another title."],
        [{ title: "Empty", body: " \n " }, "body", "Write the reply&#39;s text."],
        [{ title: "Too long", body: "x".repeat(10_001) }, "body", "Keep the text to 10,000 characters or fewer."],
        [{ title: "Phone", body: "Call {{contact_phone}} or {{ password }}." }, "body", "Unknown placeholder {{contact_phone}}, {{password}}: use only those listed."],
        [{ title: "Braces", body: "Hello {{requester_name}" }, "body", "A “{{” or “}}” here opens or closes no placeholder"],
      ] as const) {
        const res = await create(form);
        expect(res.status, problem).to.equal(400);
        expect(res.text, problem).to.include(`id="field-${field}-problem">${problem}`);
        expect(res.text, problem).to.include("Please correct this problem");
      }
      // Editing into another reply's title is refused too; keeping its own title is not.
      expect((await create({ title: "Goodbye", body: "Bye." })).status).to.equal(303);
      const goodbye = await idOf("Goodbye");
      const stateWithTwo = await state();
      const clash = await postForm(admin, `${LIST}/${goodbye}`, { title: "welcome", body: "Bye." }, `${LIST}/${goodbye}`);
      expect(clash.status).to.equal(400);
      expect(clash.text).to.include('id="field-title-problem">A canned reply with this title exists already');
      expect(await state()).to.deep.equal(stateWithTwo);
      expect((await postForm(admin, `${LIST}/${goodbye}`, { title: "goodbye", body: "Bye now." }, `${LIST}/${goodbye}`)).status).to.equal(303);
      expect(before.rows).to.have.length(1);
    });

    it("is for admins only: agents and customers get 403, and a form without its CSRF token is refused", async () => {
      expect((await create({ title: "Welcome", body: "Hello." })).status).to.equal(303);
      const id = await idOf("Welcome");
      const before = await state();
      for (const username of ["alice", "carol"]) {
        const agent = await signedIn(t, username);
        expect((await agent.get(LIST)).status, username).to.equal(403);
        expect((await agent.get(`${LIST}/${id}`)).status, username).to.equal(403);
        const _csrf = await csrfToken(agent, "/");
        expect((await agent.post(LIST).type("form").send({ _csrf, title: "Mine", body: "x" })).status, username).to.equal(403);
        expect((await agent.post(`${LIST}/${id}/delete`).type("form").send({ _csrf, confirm: "1" })).status, username).to.equal(403);
      }
      expect((await admin.post(LIST).type("form").send({ title: "No token", body: "x" })).status).to.equal(403);
      expect(await state()).to.deep.equal(before);
    });
  });

  describe("inserting on the ticket page", () => {
    let alice: Agent;
    let ticketId: number;
    beforeEach(async () => {
      expect((await create({ title: "Welcome", body: GREETING })).status).to.equal(303);
      expect((await create({ title: "Checked", body: "Checked by {{agent_name}}." })).status).to.equal(303);
      alice = await signedIn(t, "alice");
      ticketId = await openTicket(await signedIn(t, "carol"), { subject: "Printer <b>jam</b>" });
    });
    const page = (id = ticketId) => `/desk/tickets/${id}`;
    const insert = (form: Record<string, string>, id = ticketId) => postForm(alice, `${page(id)}/canned`, form, page(id));

    it("offers the list by the reply and the note boxes, with a script that needs no inline code", async () => {
      const res = await alice.get(page()).expect(200);
      for (const into of ["reply", "note"]) {
        expect(res.text).to.include(`<select id="field-${into}_canned" name="canned_id">`);
        expect(res.text).to.include(`name="into" value="${into}" formaction="${page()}/canned" formnovalidate data-canned-insert>Insert`);
      }
      expect(res.text).to.include(`<option value="${await idOf("Welcome")}">Welcome</option>`);
      expect(res.text).to.include('<script src="/js/canned-replies.js" defer></script>');
      expect((await browser(t.app).get("/js/canned-replies.js")).status).to.equal(200);
    });

    it("without JavaScript, comes back with the reply filled for the ticket after what was typed, and writes nothing", async () => {
      const before = await writeState(t);
      const res = await insert({ into: "reply", canned_id: String(await idOf("Welcome")), body: "Quick note first.  \n" });
      expect(res.status, res.text.slice(0, 1500)).to.equal(200);
      expect(boxText(res.text, "field-reply_body")).to.equal(
        `Quick note first.\n\nDear Carol Jones,\n\nThank you for ticket #${ticketId} (Printer <b>jam</b>) for Acme Corp (ACM).\n\nAlice Agent`,
      );
      // The subject is text, escaped like everything else on the page.
      expect(res.text).to.not.include("<b>jam</b>");
      expect(res.text).to.include(`<option value="${await idOf("Welcome")}" selected>Welcome</option>`);
      expect(boxText(res.text, "field-note_body")).to.equal("");

      const note = await insert({ into: "note", canned_id: String(await idOf("Checked")), body: "" });
      expect(note.status).to.equal(200);
      expect(boxText(note.text, "field-note_body")).to.equal("Checked by Alice Agent.");
      expect(await writeState(t)).to.deep.equal(before);
    });

    it("with JavaScript, answers the filled text as JSON for the script to put at the cursor", async () => {
      const _csrf = await csrfToken(alice, page());
      const res = await alice.post(`${page()}/canned`).set("Accept", "application/json").type("form").send({ _csrf, into: "note", canned_id: String(await idOf("Checked")) });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ text: "Checked by Alice Agent." });
      const gone = await alice.post(`${page()}/canned`).set("Accept", "application/json").type("form").send({ _csrf, into: "note", canned_id: "999999" });
      expect(gone.status).to.equal(400);
      expect(gone.body).to.deep.equal({ problem: "That canned reply was deleted: choose another." });
    });

    it("names a missing or deleted choice next to the select, keeping what was typed", async () => {
      // The admin's deletion below is audited; the tickets, their timelines and mail must not move.
      const ticketState = async () => ({ ...(await writeState(t)), audit: null });
      const before = await ticketState();
      const none = await insert({ into: "reply", canned_id: "", body: "Keep me." });
      expect(none.status).to.equal(400);
      expect(none.text).to.include('id="field-reply_canned-problem">Choose a canned reply.');
      expect(boxText(none.text, "field-reply_body")).to.equal("Keep me.");

      const checked = await idOf("Checked");
      expect((await postForm(admin, `${LIST}/${checked}/delete`, { confirm: "1" }, `${LIST}/${checked}`)).status).to.equal(303);
      const gone = await insert({ into: "note", canned_id: String(checked), body: "Still here." });
      expect(gone.status).to.equal(400);
      expect(gone.text).to.include('id="field-note_canned-problem">That canned reply was deleted: choose another.');
      expect(boxText(gone.text, "field-note_body")).to.equal("Still here.");

      const nowhere = await insert({ canned_id: String(await idOf("Welcome")) });
      expect(nowhere.status).to.equal(400);
      expect(nowhere.text).to.include("Insert a canned reply with the Insert button");
      expect(await ticketState()).to.deep.equal(before);
    });

    it("is the desk's: a customer cannot insert one, nor read a canned reply through it", async () => {
      const carol = await signedIn(t, "carol");
      const _csrf = await csrfToken(carol, "/");
      const res = await carol.post(`${page()}/canned`).set("Accept", "application/json").type("form").send({ _csrf, into: "reply", canned_id: String(await idOf("Welcome")) });
      expect(res.status).to.equal(403);
      expect(res.text).to.not.include("Thank you for ticket");
    });

    it("on a reset ticket fills only what the agent sees there: no contact's number or address, no record", async () => {
      const resetId = await openRequest(t);
      expect((await create({ title: "Everything", body: "{{ticket_number}} {{ticket_subject}} {{requester_name}} {{account_name}} {{account_code}} {{agent_name}}" })).status).to.equal(303);
      const res = await insert({ into: "note", canned_id: String(await idOf("Everything")) }, resetId);
      expect(res.status).to.equal(200);
      const text = boxText(res.text, "field-note_body");
      expect(text).to.equal(`#${resetId} Primary account password reset request Carol Jones Acme Corp ACM Alice Agent`);
      for (const secret of ["+44", "7946", "primary@acme.example", "carol@acme.example", "Paula"]) expect(text, secret).to.not.include(secret);
    });

    it("refuses to insert into the reply of a closed ticket", async () => {
      const closed = await seedTicket(t, "carol", "Old matter");
      await t.db("tickets").where({ id: closed }).update({ status: "closed" });
      const res = await insert({ into: "reply", canned_id: String(await idOf("Welcome")), body: "" }, closed);
      expect(res.status).to.equal(400);
      expect(res.text).to.include("This ticket is closed and takes no more replies.");
    });
  });
});
