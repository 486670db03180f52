import { expect } from "chai";
import { hours } from "../../src/shared/clock.js";
import { browser } from "../support/http.js";
import { approve, callBack, deskPage, openRequest, snapshot, temporaryPasswordFrom } from "./helpers.js";
import { signIn, signedIn } from "../support/sign-in.js";
import { postForm } from "../support/forms.js";
import { auditActions } from "../support/audit.js";
import { count, type Row } from "../support/rows.js";
import { outboxTo } from "../support/mail.js";
import { resetObjectionTokenFor } from "../support/links.js";
import { useTestApp } from "../support/use-test-app.js";

describe("primary reset: objections, races and expiry", () => {
  const t = useTestApp({ smtp: true });
  const sink = t.sink;

  const request = async (ticketId: number) => (await t.db("reset_requests").where({ ticket_id: ticketId }).first()) as Row;

  const objectionTokenFor = (address: string) => resetObjectionTokenFor(t, address);

  describe("objections", () => {
    it("records an objection from the alert's link, blocks approval until an admin clears it with a note", async () => {
      const ticketId = await openRequest(t);
      const token = await objectionTokenFor("primary@acme.example");
      const stranger = browser(t.app);
      const page = await stranger.get(`/objections/${token}`).expect(200);
      expect(page.headers["referrer-policy"]).to.equal("no-referrer");
      expect((await postForm(stranger, `/objections/${token}`, {}, `/objections/${token}`)).status).to.equal(200);
      expect((await request(ticketId)).objected_by).to.equal("primary@acme.example");
      // Single use.
      expect((await stranger.get(`/objections/${token}`)).status).to.equal(404);

      const alice = await signedIn(t, "alice");
      expect((await alice.get(deskPage(ticketId))).text).to.include("Objection:");
      await callBack(t, alice, ticketId, "confirmed");
      const bob = await signedIn(t, "bob");
      const blocked = await approve(bob, ticketId);
      expect(blocked.status).to.equal(400);
      expect(blocked.text).to.match(/id="field-approve-problem">[^<]*No open objection/);

      // Clearing needs an admin and a note.
      const clear = (agent: typeof bob, note: string) => postForm(agent, `${deskPage(ticketId)}/objection/clear`, { note }, deskPage(ticketId));
      const before = await snapshot(t);
      expect((await clear(bob, "Spoke to Paula, she did ask.")).status).to.equal(400);
      const admin = await signedIn(t, "admin");
      expect((await clear(admin, "")).status).to.equal(400);
      expect(await snapshot(t)).to.deep.equal(before);
      expect((await clear(admin, "Called Paula on the number on file: she did ask.")).status).to.equal(303);
      expect((await approve(bob, ticketId)).status).to.equal(303);
      expect(await auditActions(t)).to.include.members(["reset.objected", "reset.objection_cleared", "reset.approved"]);
    });

    it("answers an unknown token with the same plain page, and keeps tokens out of the logs and the database", async () => {
      await openRequest(t);
      const token = await objectionTokenFor("carol@acme.example");
      expect((await browser(t.app).get("/objections/not-a-real-token")).status).to.equal(404);
      await browser(t.app).get(`/objections/${token}`).expect(200);
      expect(await t.leaks(token)).to.equal(false);
    });
  });

  describe("races", () => {
    it("turns two approvals at once into one temporary password and one mail", async function () {
      this.timeout(30_000);
      const ticketId = await openRequest(t);
      await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
      const [bob, admin] = [await signedIn(t, "bob"), await signedIn(t, "admin")];
      const results = await Promise.all([approve(bob, ticketId), approve(admin, ticketId)]);
      expect(results.map((r) => r.status).sort()).to.deep.equal([303, 400]);
      expect((await outboxTo(t, "primary@acme.example")).filter((m) => m.template === "temporary-password")).to.have.length(1);
      expect(await count(t, "audit_log", { action: "reset.approved" })).to.equal(1);
      expect(await count(t, "ticket_events", { ticket_id: ticketId, kind: "approval" })).to.be.at.least(1);
      // The mail holds the one password that works.
      await t.deliverMail();
      const { password } = await temporaryPasswordFrom(t, sink);
      expect((await signIn(browser(t.app), "ACM0001", password)).status).to.equal(303);
    });

    it("lets only one of two simultaneous requests of an account through", async () => {
      const [carol1, carol2] = [await signedIn(t, "carol"), await signedIn(t, "carol")];
      const reason = "Paula is locked out; please help us reset it.";
      const results = await Promise.all([carol1, carol2].map((c) => postForm(c, "/reset-requests", { reason })));
      expect(results.map((r) => r.status).sort()).to.deep.equal([303, 403]);
      expect(await count(t, "reset_requests")).to.equal(1);
    });
  });

  describe("expiry", () => {
    it("expires an unused temporary password: the request is expired, the ticket closed, sign-in refused", async () => {
      const ticketId = await openRequest(t);
      await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
      expect((await approve(await signedIn(t, "bob"), ticketId)).status).to.equal(303);
      await t.deliverMail();
      const { password } = await temporaryPasswordFrom(t, sink);

      t.clock.advance(hours(23));
      await t.scheduler.run("expire-temporary-passwords");
      expect((await request(ticketId)).state).to.equal("delivered");

      t.clock.advance(hours(1) + 1000);
      const refused = await signIn(browser(t.app), "ACM0001", password);
      expect(refused.status).to.equal(401);
      expect(refused.text).to.include("Your temporary password has expired").and.include("open a new");
      await t.scheduler.run("expire-temporary-passwords");
      expect((await request(ticketId)).state).to.equal("expired");
      expect(((await t.db("tickets").where({ id: ticketId }).first("status")) as Row).status).to.equal("closed");
      expect(((await t.db("users").where({ username: "ACM0001" }).first("password_hash")) as Row).password_hash).to.equal(null);
      expect((await signIn(browser(t.app), "ACM0001", password)).status).to.not.equal(303);
      expect(await auditActions(t)).to.include("reset.expired");
      // A new request may be opened now.
      expect(await openRequest(t)).to.be.greaterThan(ticketId);
    });
  });
});
