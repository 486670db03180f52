/**
 * The customer follows their request (issue 15 item 6): the step tracker on carol's reset
 * ticket page at every state, the status words of her list and page, and one mail to her per
 * change she can see, none carrying a secret, all driven through the app.
 */
import { expect } from "chai";
import { browser, type Agent } from "../support/http.js";
import { postForm } from "../support/forms.js";
import { mailText, outboxTo } from "../support/mail.js";
import { resetObjectionTokenFor } from "../support/links.js";
import { signInOk, signedIn } from "../support/sign-in.js";
import type { Row } from "../support/rows.js";
import { userId } from "../support/users.js";
import { hours } from "../../src/shared/clock.js";
import { useTestApp } from "../support/use-test-app.js";
import { approve, callBack, deskPage, openRequest, reject, temporaryPasswordFrom } from "./helpers.js";

const CAROL = "carol@acme.example";
const PRIMARY = "primary@acme.example";
const REJECT_REASON = "Nobody on the records could confirm the request.";
const WITHDRAW_REASON = "The holder found their password after all.";
const NEW_PRIMARY_PASSWORD = "Saffron-Lantern-42!";

/** A tracker step as the page shows it, read from its HTML. */
interface ShownStep {
  label: string;
  /** The words in brackets: done, now, to come. */
  shown: string;
  current: boolean;
  text: string;
}

/** The tracker on a customer's ticket page, or null when it has none. */
function trackerOn(html: string): ShownStep[] | null {
  const list = /<ol class="reset-tracker">([\s\S]*?)<\/ol>/.exec(html)?.[1];
  if (list === undefined) return null;
  return [...list.matchAll(/<li class="tracker-step[^"]*"( aria-current="step")?>([\s\S]*?)<\/li>/g)].map((m) => ({
    label: /<strong>([^<]*)<\/strong>/.exec(m[2]!)![1]!,
    shown: /\((done|now|to come)\)/.exec(m[2]!)![1]!,
    current: m[1] !== undefined,
    text: m[2]!.replace(/<[^>]+>/g, " ").replace(/&#39;/g, "'").replace(/\s+/g, " ").trim(),
  }));
}

/** The status badge of the ticket on a page (its page, or its row in the list). */
const statusOn = (html: string, ticketId: number): string => {
  const row = new RegExp(`href="/tickets/${ticketId}"[\\s\\S]*?<span class="badge ticket-status[^"]*">([^<]*)</span>`).exec(html);
  return (row ?? /<span class="badge ticket-status[^"]*">([^<]*)<\/span>/.exec(html))![1]!;
};

const APPROVED = "Approved, password sent to the primary holder";

describe("primary reset: the customer follows their request", () => {
  const t = useTestApp({ smtp: true });

  /** Templates of the mail queued to an address, oldest first. */
  const mailTo = async (address: string) => (await outboxTo(t, address)).map((m) => m.template);
  const carolsPage = async (carol: Agent, ticketId: number) => (await carol.get(`/tickets/${ticketId}`).expect(200)).text;
  /** The words the desk works with and the customer never reads: who called whom, on which number, who objected, which agent. */
  const internalWords = async () => {
    const phones = ((await t.db("contacts").whereNotNull("phone").pluck("phone")) as string[]).flatMap((p) => [p, p.slice(-7)]);
    return [...phones, "Paula Primary", "alice", "Alice Agent", "bob", "Bob Agent", "Callback to", PRIMARY, "link mailed to"];
  };
  const expectNoInternalWords = async (html: string) => {
    for (const word of await internalWords()) expect(html, `the customer's page shows "${word}"`).to.not.include(word);
  };

  /** Opens carol's request, alice calls back and bob approves: the temporary password is out. */
  async function delivered(): Promise<{ ticketId: number; carol: Agent }> {
    const ticketId = await openRequest(t);
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    expect((await approve(await signedIn(t, "bob"), ticketId)).status).to.equal(303);
    return { ticketId, carol: await signedIn(t, "carol") };
  }

  it("walks carol's tracker from Requested to Done, with one mail to her at each step she can see and none carrying the password", async function () {
    this.timeout(30_000);
    // Filed: one mail to carol, the confirmation, though she is a contact on file too; the primary's address gets the alert.
    const ticketId = await openRequest(t);
    const carol = await signedIn(t, "carol");
    expect(await mailTo(CAROL)).to.deep.equal(["reset-received"]);
    expect(await mailTo(PRIMARY)).to.deep.equal(["reset-alert"]);
    let page = await carolsPage(carol, ticketId);
    expect(trackerOn(page)!.map((s) => [s.label, s.shown, s.current])).to.deep.equal([
      ["Requested", "now", true],
      ["Being verified", "to come", false],
      [APPROVED, "to come", false],
      ["Done", "to come", false],
    ]);
    expect(statusOn(page, ticketId)).to.equal("New");

    // Verification starts with alice's callback: no mail (nothing the customer must act on).
    await callBack(t, await signedIn(t, "alice"), ticketId, "no_answer");
    page = await carolsPage(carol, ticketId);
    expect(trackerOn(page)!.map((s) => [s.label, s.shown])).to.deep.equal([["Requested", "done"], ["Being verified", "now"], [APPROVED, "to come"], ["Done", "to come"]]);
    await expectNoInternalWords(page);
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    expect(await mailTo(CAROL)).to.deep.equal(["reset-received"]);

    // Approved and sent: one mail to carol, naming the holder's mailbox only masked; the list and page say whom the ticket waits for.
    expect((await approve(await signedIn(t, "bob"), ticketId)).status).to.equal(303);
    expect(await mailTo(CAROL)).to.deep.equal(["reset-received", "reset-approved"]);
    const approvedMail = await mailText((await outboxTo(t, CAROL))[1]!.message);
    expect(approvedMail).to.include("approved").and.include("is on its way").and.not.include(PRIMARY).and.not.include("acme.example");
    page = await carolsPage(carol, ticketId);
    const current = trackerOn(page)!.find((s) => s.current)!;
    expect(current.label).to.equal(APPROVED);
    expect(current.text).to.include("registered address").and.include("works until");
    expect(statusOn(page, ticketId)).to.equal("Waiting for the primary holder");
    expect(statusOn((await carol.get("/tickets").expect(200)).text, ticketId)).to.equal("Waiting for the primary holder");
    await expectNoInternalWords(page);

    // The holder redeems it: one mail to carol; Done; Completed.
    await t.deliverMail();
    const { password } = await temporaryPasswordFrom(t, t.sink);
    const holder = browser(t.app);
    await signInOk(holder, "ACM0001", password);
    const changed = await postForm(holder, "/account/password", { current_password: password, new_password: NEW_PRIMARY_PASSWORD, confirm_password: NEW_PRIMARY_PASSWORD }, "/account/password");
    expect(changed.status, changed.text.slice(0, 400)).to.equal(303);
    expect(await mailTo(CAROL)).to.deep.equal(["reset-received", "reset-approved", "reset-completed"]);
    page = await carolsPage(carol, ticketId);
    expect(trackerOn(page)!.map((s) => [s.label, s.shown, s.current])).to.deep.equal([
      ["Requested", "done", false],
      ["Being verified", "done", false],
      [APPROVED, "done", false],
      ["Done", "now", true],
    ]);
    expect(statusOn(page, ticketId)).to.equal("Completed");
    expect(statusOn((await carol.get("/tickets").expect(200)).text, ticketId)).to.equal("Completed");
    await expectNoInternalWords(page);

    // No mail of the whole request holds the temporary password in clear: not queued, not received, not carol's.
    await t.deliverMail();
    for (const mail of await outboxTo(t)) expect(mail.message, `${mail.template} to ${mail.recipient}`).to.not.include(password);
    for (const mail of t.sink.received) expect(mail.raw).to.not.include(password);
    expect(await t.leaks(password)).to.equal(false);
  });

  it("gives carol's confirmation the objection link her alert would have carried: her own objection flags the request", async () => {
    const ticketId = await openRequest(t);
    const token = await resetObjectionTokenFor(t, CAROL);
    expect((await postForm(browser(t.app), `/objections/${token}`, {}, `/objections/${token}`)).status).to.equal(200);
    const request = (await t.db("reset_requests").where({ ticket_id: ticketId }).first()) as Row;
    expect(request.objected_by).to.equal(CAROL);
    // Her tracker still says where it stands, never who objected.
    const page = await carolsPage(await signedIn(t, "carol"), ticketId);
    expect(trackerOn(page)!.find((s) => s.current)!.label).to.equal("Requested");
    expect(page).to.not.include(`link mailed to ${CAROL}`);
  });

  it("shows Being verified once an agent takes the request on, before any callback", async () => {
    const ticketId = await openRequest(t);
    const alice = await signedIn(t, "alice");
    const assigned = await postForm(alice, `${deskPage(ticketId)}/assign`, { assignee_id: String(await userId(t, "alice")) }, deskPage(ticketId));
    expect(assigned.status).to.equal(303);
    const page = await carolsPage(await signedIn(t, "carol"), ticketId);
    expect(trackerOn(page)!.find((s) => s.current)!.label).to.equal("Being verified");
    await expectNoInternalWords(page);
  });

  it("ends in Rejected with the agent's reason: one mail to carol, and the primary's address told too", async () => {
    const ticketId = await openRequest(t);
    await callBack(t, await signedIn(t, "alice"), ticketId, "denied");
    expect((await reject(await signedIn(t, "bob"), ticketId, REJECT_REASON)).status).to.equal(303);
    expect(await mailTo(CAROL)).to.deep.equal(["reset-received", "reset-rejected"]);
    expect(await mailTo(PRIMARY)).to.deep.equal(["reset-alert", "reset-rejected"]);
    const carol = await signedIn(t, "carol");
    const page = await carolsPage(carol, ticketId);
    const steps = trackerOn(page)!;
    expect(steps.map((s) => [s.label, s.shown])).to.deep.equal([["Requested", "done"], ["Being verified", "done"], ["Rejected", "now"]]);
    expect(steps[2]!.current).to.equal(true);
    expect(steps[2]!.text).to.include(`Reason: ${REJECT_REASON}`);
    expect(statusOn(page, ticketId)).to.equal("Rejected");
    expect(statusOn((await carol.get("/tickets").expect(200)).text, ticketId)).to.equal("Rejected");
    await expectNoInternalWords(page);
  });

  it("ends in Withdrawn with the agent's reason: one mail to carol", async () => {
    const { ticketId, carol } = await delivered();
    const withdrawn = await postForm(await signedIn(t, "alice"), `${deskPage(ticketId)}/withdraw`, { reason: WITHDRAW_REASON }, deskPage(ticketId));
    expect(withdrawn.status).to.equal(303);
    expect(await mailTo(CAROL)).to.deep.equal(["reset-received", "reset-approved", "reset-withdrawn"]);
    const page = await carolsPage(carol, ticketId);
    const steps = trackerOn(page)!;
    expect(steps.map((s) => [s.label, s.shown])).to.deep.equal([["Requested", "done"], ["Being verified", "done"], [APPROVED, "done"], ["Withdrawn", "now"]]);
    expect(steps[3]!.text).to.include(`Reason: ${WITHDRAW_REASON}`);
    expect(statusOn(page, ticketId)).to.equal("Withdrawn");
    await expectNoInternalWords(page);
  });

  it("ends in Withdrawn when the primary's address objects, without saying who objected", async () => {
    const { ticketId, carol } = await delivered();
    const token = await resetObjectionTokenFor(t, PRIMARY);
    expect((await postForm(browser(t.app), `/objections/${token}`, {}, `/objections/${token}`)).status).to.equal(200);
    expect(await mailTo(CAROL)).to.deep.equal(["reset-received", "reset-approved", "reset-withdrawn"]);
    const page = await carolsPage(carol, ticketId);
    expect(trackerOn(page)!.find((s) => s.current)!.text).to.include("Reason: someone on the account's records objected");
    await expectNoInternalWords(page);
  });

  it("ends in Expired when the temporary password is not used in time: one mail to carol", async () => {
    const { ticketId } = await delivered();
    t.clock.advance(hours(t.config.tempPasswordTtlHours) + 60_000);
    await t.scheduler.run("expire-temporary-passwords");
    expect(await mailTo(CAROL)).to.deep.equal(["reset-received", "reset-approved", "reset-expired"]);
    // A day later carol's earlier session has ended: she signs in again to look.
    const carol = await signedIn(t, "carol");
    const page = await carolsPage(carol, ticketId);
    expect(trackerOn(page)!.map((s) => [s.label, s.shown])).to.deep.equal([["Requested", "done"], ["Being verified", "done"], [APPROVED, "done"], ["Expired", "now"]]);
    expect(statusOn(page, ticketId)).to.equal("Expired");
    expect(statusOn((await carol.get("/tickets").expect(200)).text, ticketId)).to.equal("Expired");
    // A second run finds nothing more to expire, and mails nobody again.
    await t.scheduler.run("expire-temporary-passwords");
    expect(await mailTo(CAROL)).to.have.length(3);
  });

  it("keeps the ordinary words and no tracker for carol's other tickets", async () => {
    const carol = await signedIn(t, "carol");
    const made = await postForm(carol, "/tickets", { type: "general", subject: "Invoice address", body: "Please update it." }, "/tickets/new");
    const general = Number(/\/tickets\/(\d+)/.exec(made.headers.location as string)![1]);
    const alice = await signedIn(t, "alice");
    expect((await postForm(alice, `/desk/tickets/${general}/status`, { status: "pending_customer" }, `/desk/tickets/${general}`)).status).to.equal(303);
    const page = await carolsPage(carol, general);
    expect(trackerOn(page)).to.equal(null);
    expect(statusOn(page, general)).to.equal("Waiting for customer");
  });
});
