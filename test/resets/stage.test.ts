import { expect } from "chai";
import { hours } from "../../src/shared/clock.js";
import { resetStagesOfRows } from "../../src/resets/index.js";
import { browser, type Agent } from "../support/http.js";
import { postForm } from "../support/forms.js";
import { resetObjectionTokenFor } from "../support/links.js";
import { signedIn, signInOk } from "../support/sign-in.js";
import { useTestApp } from "../support/use-test-app.js";
import { changeContactPhone } from "../accounts/helpers.js";
import { approve, callBack, deskPage, openRequest, reject, temporaryPasswordFrom } from "./helpers.js";

const NEW_PRIMARY_PASSWORD = "Fresh#Start-2026!";

/** Every stage of resets/stage.ts, reached by driving the app, as the queue's row and the ticket's panel show it. */
describe("primary reset: the stage, on the queue and the panel", () => {
  const t = useTestApp({ smtp: true });
  let alice: Agent;
  let bob: Agent;

  beforeEach(async () => {
    alice = await signedIn(t, "alice");
    bob = await signedIn(t, "bob");
  });

  /** The queue row of a ticket (the All view: ended requests are closed tickets). */
  async function queueRow(viewer: Agent, ticketId: number): Promise<string> {
    const html = (await viewer.get("/desk?view=all").expect(200)).text;
    return html.split("<tr>").find((chunk) => chunk.includes(`href="/desk/tickets/${ticketId}"`)) ?? "";
  }

  /** The stage's words on the queue row, in place of the ticket's status, and on the panel. */
  async function expectStage(ticketId: number, stage: string, words: string) {
    // Signed in afresh: the test clock moves past the session's idle timeout.
    const viewer = await signedIn(t, "alice");
    const row = await queueRow(viewer, ticketId);
    expect(row, `queue row of #${ticketId}`).to.match(new RegExp(`class="badge reset-stage stage-${stage}[^"]*"[^>]*>${words}</span>`));
    expect(row, "the stage replaces the status badge").to.not.include("ticket-status");
    const panel = (await viewer.get(deskPage(ticketId)).expect(200)).text;
    expect(panel, `panel of #${ticketId}`).to.match(new RegExp(`id="reset-stage" class="badge reset-stage stage-${stage}[^"]*">${words}</span>`));
  }

  it("verified, but held: a confirmed callback and nobody who may approve (the requester no longer authorised) is not 'awaiting approval'", async () => {
    const ticketId = await openRequest(t);
    await t.db("users").where({ username: "carol" }).update({ can_open_cases: false });
    expect((await callBack(t, alice, ticketId, "confirmed")).status).to.equal(303);
    expect(await t.db("reset_approvers").where({ ticket_id: ticketId })).to.deep.equal([]);
    await expectStage(ticketId, "blocked", "verified, but held: see the checklist");
    expect((await bob.get(deskPage(ticketId)).expect(200)).text).to.include("no longer authorised to open support cases");
  });

  it("pending: awaiting callback, awaiting approval, objection open, callback denied; then rejected; four queries for a page's resets, however many", async () => {
    const first = await openRequest(t);
    await expectStage(first, "awaiting_callback", "awaiting callback");
    expect((await callBack(t, alice, first, "no_answer")).status).to.equal(303);
    await expectStage(first, "awaiting_callback", "awaiting callback");
    expect((await callBack(t, alice, first, "confirmed")).status).to.equal(303);
    await expectStage(first, "awaiting_approval", "awaiting approval");

    const token = await resetObjectionTokenFor(t, "primary@acme.example");
    const stranger = browser(t.app);
    expect((await postForm(stranger, `/objections/${token}`, {}, `/objections/${token}`)).status).to.equal(200);
    await expectStage(first, "objection_open", "objection open");
    expect((await reject(alice, first, "The holder objected.")).status).to.equal(303);
    await expectStage(first, "rejected", "rejected");

    const second = await openRequest(t);
    expect((await callBack(t, alice, second, "denied")).status).to.equal(303);
    await expectStage(second, "callback_denied", "callback denied: reject it");

    // The stages of a page come in a fixed number of queries, not one per reset row.
    const countQueries = async (ids: number[]) => {
      let n = 0;
      const listen = () => void n++;
      t.db.on("query", listen);
      const stages = await resetStagesOfRows(t.db, [...ids.map((id) => ({ id, type: "primary_reset" })), { id: 1, type: "general" }], t.clock.now());
      t.db.off("query", listen);
      return { n, stages: [...stages.values()].map((s) => s.stage) };
    };
    expect(await countQueries([first])).to.deep.equal({ n: 4, stages: ["rejected"] });
    const both = await countQueries([first, second]);
    expect(both.n).to.equal(4);
    expect(both.stages).to.have.members(["rejected", "callback_denied"]);
    expect(await countQueries([])).to.deep.equal({ n: 0, stages: [] });
  });

  it("awaiting an admin after a recent change to the records, once a callback confirmed it", async () => {
    expect((await changeContactPhone(t, await signedIn(t, "admin"), "Paula Primary", "+44 20 7946 0999")).status).to.equal(303);
    const ticketId = await openRequest(t);
    await expectStage(ticketId, "awaiting_callback", "awaiting callback");
    expect((await callBack(t, alice, ticketId, "confirmed")).status).to.equal(303);
    await expectStage(ticketId, "awaiting_admin", "awaiting an admin");
  });

  it("delivered: password being sent, then sent with its expiry counting down, then redeemed", async function () {
    this.timeout(30_000);
    const ticketId = await openRequest(t);
    await callBack(t, alice, ticketId, "confirmed");
    expect((await approve(bob, ticketId)).status).to.equal(303);
    await expectStage(ticketId, "password_being_sent", "password being sent, expires in 24 h");
    await t.deliverMail();
    await expectStage(ticketId, "password_sent", "password sent, expires in 24 h");
    t.clock.advance(hours(19));
    await expectStage(ticketId, "password_sent", "password sent, expires in 5 h");
    t.clock.advance(hours(4) + 20 * 60_000);
    await expectStage(ticketId, "password_sent", "password sent, expires in 40 min");

    const { password } = await temporaryPasswordFrom(t, t.sink);
    const holder = browser(t.app);
    await signInOk(holder, "ACM0001", password);
    const changed = await postForm(holder, "/account/password", { current_password: password, new_password: NEW_PRIMARY_PASSWORD, confirm_password: NEW_PRIMARY_PASSWORD }, "/account/password");
    expect(changed.status, changed.text.slice(0, 400)).to.equal(303);
    await expectStage(ticketId, "redeemed", "redeemed");
  });

  it("delivered then withdrawn; a second one left unused expires; a mail refused for good is delivery failed", async function () {
    this.timeout(30_000);
    const withdrawn = await openRequest(t);
    await callBack(t, alice, withdrawn, "confirmed");
    expect((await approve(bob, withdrawn)).status).to.equal(303);
    await t.deliverMail();
    alice = await signedIn(t, "alice");
    expect((await postForm(alice, `${deskPage(withdrawn)}/withdraw`, { reason: "Sent to the wrong holder." }, deskPage(withdrawn))).status).to.equal(303);
    await expectStage(withdrawn, "withdrawn", "withdrawn");

    const expired = await openRequest(t);
    await callBack(t, alice, expired, "confirmed");
    expect((await approve(bob, expired)).status).to.equal(303);
    await t.deliverMail();
    t.clock.advance(hours(24) + 1000);
    await expectStage(expired, "password_sent", "password sent, expiring now");
    await t.scheduler.run("expire-temporary-passwords");
    await expectStage(expired, "expired", "expired");

    t.sink.refusals.set("primary@acme.example", { code: 550, text: "5.7.1 Relay access denied" });
    [alice, bob] = [await signedIn(t, "alice"), await signedIn(t, "bob")];
    const failed = await openRequest(t);
    await callBack(t, alice, failed, "confirmed");
    expect((await approve(bob, failed)).status).to.equal(303);
    await t.deliverMail();
    await expectStage(failed, "delivery_failed", "delivery failed");
  });
});
