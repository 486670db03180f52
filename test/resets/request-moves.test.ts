import { expect } from "chai";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { callBack, openRequest, snapshot } from "./helpers.js";
import { count } from "../support/rows.js";
import { signedIn } from "../support/sign-in.js";

/** A move of a reset request takes its ticket along by the ticket's own table, or not at all (issue 12). */
describe("primary reset: a move and its ticket", () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it("puts the ticket in work with the first callback, and keeps it there with the next", async () => {
    const ticketId = await openRequest(t);
    const status = async () => ((await t.db("tickets").where({ id: ticketId }).first("status")) as { status: string }).status;
    expect(await status()).to.equal("new");
    const alice = await signedIn(t, "alice");
    expect((await callBack(t, alice, ticketId, "no_answer")).status).to.equal(303);
    expect(await status()).to.equal("open");
    expect((await callBack(t, alice, ticketId, "confirmed")).status).to.equal(303);
    expect(await status()).to.equal("open");
  });

  it("writes nothing when the ticket's table refuses the status the move implies, instead of moving the request alone", async () => {
    const ticketId = await openRequest(t);
    // A ticket closed under a pending request (no step of the desk does this): closed is final.
    await t.db("tickets").where({ id: ticketId }).update({ status: "closed" });
    const before = await snapshot(t);
    const res = await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    expect(res.status).to.equal(500);
    expect(res.text).to.include("incident");
    expect(await snapshot(t), "no callback, no event, no move").to.deep.equal(before);
    expect(await count(t, "audit_log", { action: "reset.callback_recorded" })).to.equal(0);
    expect(t.logs()).to.include(`Ticket #${ticketId} cannot follow to open`);
  });
});
