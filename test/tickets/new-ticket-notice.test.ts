import { expect } from "chai";
import { simpleParser } from "mailparser";
import { browser, type Agent } from "../support/http.js";
import { openTicket } from "./helpers.js";
import { browsers } from "../support/sign-in.js";
import { postForm } from "../support/forms.js";
import { count, type Row } from "../support/rows.js";
import { mailText, outboxTo } from "../support/mail.js";
import { useTestApp } from "../support/use-test-app.js";

const ALICE = "alice@vouchdesk.example";

describe("new-ticket mail to staff who ask for it (/account/notifications)", () => {
  const t = useTestApp();
  let as: (username: string) => Promise<Agent>;

  beforeEach(() => {
    as = browsers(t);
  });

  const flag = async (username: string) => Boolean(((await t.db("users").where({ username }).first("notify_new_tickets")) as Row).notify_new_tickets);
  const setNotice = (agent: Agent, form: Record<string, string>) => postForm(agent, "/account/notifications", form, "/account/notifications");
  const noticesTo = async (address: string) => (await outboxTo(t, address)).filter((m) => m.template === "new-ticket");

  it("is off until an agent ticks the box; then each new ticket and reset request mails them, with its first message and the desk's link", async () => {
    const alice = await as("alice");
    const page = await alice.get("/account/notifications").expect(200);
    expect(page.text).to.include('name="new_tickets"').and.include('name="_csrf"');
    expect(page.text).to.not.match(/name="new_tickets" value="1" checked/);
    await openTicket(await as("carol"), { subject: "Before opting in" });
    expect(await count(t, "outbox")).to.equal(0);

    const on = await setNotice(alice, { new_tickets: "1" });
    expect(on.status).to.equal(303);
    expect(await flag("alice")).to.equal(true);
    expect((await alice.get("/account/notifications")).text).to.match(/name="new_tickets" value="1" checked/);

    const id = await openTicket(await as("carol"), { subject: "Printer on fire", body: "Smoke from tray 2 since this morning." });
    const [notice] = await noticesTo(ALICE);
    expect(notice, "one mail to alice").to.not.equal(undefined);
    expect(await count(t, "outbox")).to.equal(1);
    const parsed = await simpleParser(notice!.message);
    expect(parsed.subject).to.equal(`[#${id}] New ticket from ACM: Printer on fire`);
    expect(await mailText(notice!.message)).to.include("Smoke from tray 2").and.include(`${t.config.baseUrl}/desk/tickets/${id}`).and.include("carol");

    await postForm(await as("carol"), "/reset-requests", { reason: "Paula is locked out after a holiday." }, "/");
    const notices = await noticesTo(ALICE);
    expect(notices).to.have.length(2);
    expect(await mailText(notices[1]!.message)).to.include("Primary account password reset").and.include("Paula is locked out");

    // Unticked (the box is simply absent from the form): no more mail.
    expect((await setNotice(alice, {})).status).to.equal(303);
    expect(await flag("alice")).to.equal(false);
    await openTicket(await as("dave"), { subject: "After opting out" });
    expect(await noticesTo(ALICE)).to.have.length(2);
  });

  it("skips disabled staff, and mails each opted-in agent once", async () => {
    await t.db("users").whereIn("username", ["alice", "bob", "admin"]).update({ notify_new_tickets: true });
    await t.db("users").where({ username: "bob" }).update({ disabled_at: t.clock.now() });
    await openTicket(await as("carol"));
    const recipients = (await outboxTo(t)).filter((m) => m.template === "new-ticket").map((m) => m.recipient);
    expect(recipients).to.include(ALICE).and.have.length(2);
    expect(recipients.some((r) => r.startsWith("bob"))).to.equal(false);
  });

  it("is for agents and admins only, needs a CSRF token, and refuses a tampered value naming it", async () => {
    const carol = await as("carol");
    expect((await carol.get("/account/notifications")).status).to.equal(403);
    expect((await postForm(carol, "/account/notifications", { new_tickets: "1" }, "/")).status).to.equal(403);
    expect((await browser(t.app).get("/account/notifications")).status).to.equal(303);
    const alice = await as("alice");
    expect((await alice.post("/account/notifications").type("form").send({ new_tickets: "1" })).status).to.equal(403);
    const bad = await setNotice(alice, { new_tickets: "yes please" });
    expect(bad.status).to.equal(400);
    expect(bad.text).to.include("Tick the box or leave it empty.");
    expect(await flag("alice")).to.equal(false);
    expect((await alice.get("/account")).text).to.include('href="/account/notifications"');
    expect((await carol.get("/account")).text).to.not.include('href="/account/notifications"');
  });
});
