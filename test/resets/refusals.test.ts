import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import * as openpgp from "openpgp";
import { hours } from "../../src/shared/clock.js";
import { demoDir } from "../../src/shared/paths.js";
import type { Agent } from "../support/http.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { insertContact } from "../../src/accounts/accounts-store.js";
import { changeContactPhone, changeLoginEmail } from "../accounts/helpers.js";
import { addBetaAccount } from "../tickets/helpers.js";
import { addSecondAdmin, approve, callBack, contactId, deskPage, openRequest, reject, requestReset, expectRefusedIn } from "./helpers.js";
import { postForm } from "../support/forms.js";
import { signedIn } from "../support/sign-in.js";
import { count, type Row } from "../support/rows.js";
import { userId } from "../support/users.js";
import { useTestApp } from "../support/use-test-app.js";

/** Every refused step answers with its reason and leaves rows, mail, credentials and tickets as they were. */
describe("primary reset: refusals", () => {
  const t = useTestApp();

  const expectRefused = (step: () => Promise<{ status: number; text: string }>, status: number, reason: string) => expectRefusedIn(t, step, status, reason);

  describe("who may ask", () => {
    it("refuses a secondary login not authorised to open cases, saying whom to ask", async () => {
      const dave = await signedIn(t, "dave");
      expect((await dave.get("/reset-requests/new")).status).to.equal(403);
      await expectRefused(() => requestReset(dave), 403, "not authorised to open support cases");
    });

    it("refuses the primary login itself", async () => {
      await expectRefused(async () => requestReset(await signedIn(t, "ACM0001")), 403, "You are the primary login");
    });

    it("refuses agents and admins: nobody opens a request on someone's behalf", async () => {
      for (const who of ["alice", "admin"]) {
        const staff = await signedIn(t, who);
        expect((await staff.get("/reset-requests/new")).status).to.equal(403);
        // The form is not theirs: the CSRF token comes from a page they can reach.
        await expectRefused(() => postForm(staff, "/reset-requests", { reason: "Please reset ACM0001 for the customer." }), 403, "Support staff never open one");
      }
    });

    it("refuses a second open request for the same account and links to the open one", async () => {
      const first = await openRequest(t);
      await expectRefused(async () => requestReset(await signedIn(t, "carol")), 403, `ticket #${first}`);
    });

    it("refuses a login of a suspended account", async () => {
      await t.db("accounts").where({ code: "ACM" }).update({ status: "suspended" });
      const carol = await signedIn(t, "carol").catch(() => null);
      // A suspended account cannot even sign in; either way no request exists.
      expect(carol).to.equal(null);
      expect(await count(t, "reset_requests")).to.equal(0);
    });

    it("tells the requester up front when the primary has no key on file, and still takes the request", async () => {
      const carol = await signedIn(t, "carol");
      expect((await carol.get("/reset-requests/new").expect(200)).text).to.not.include("has no OpenPGP key on file");
      await t.db("pgp_keys").update({ revoked_at: t.clock.now() });
      const page = (await carol.get("/reset-requests/new").expect(200)).text;
      expect(page).to.include("ACM0001 has no OpenPGP key on file").and.include("reads them a passphrase");
      // The requester is never shown the primary's registered address.
      expect(page).to.not.include("primary@acme.example");
      expect((await requestReset(carol)).status).to.equal(303);
    });

    it("needs a reason, and a bounded one", async () => {
      const carol = await signedIn(t, "carol");
      await expectRefused(() => requestReset(carol, ""), 400, "Say why the primary login needs a reset");
      await expectRefused(() => requestReset(carol, "x".repeat(2001)), 400, "under 2,000 characters");
    });

    it("needs a CSRF token", async () => {
      const carol = await signedIn(t, "carol");
      await expectRefused(() => carol.post("/reset-requests").type("form").send({ reason: "Locked out, please help us." }), 403, "");
    });

    it("hides the request from another account's customers (404) and keeps customers off the desk (403)", async () => {
      await addBetaAccount(t);
      const ticketId = await openRequest(t);
      const erin = await signedIn(t, "erin");
      expect((await erin.get(`/tickets/${ticketId}`)).status).to.equal(404);
      await expectRefused(() => postForm(erin, `${deskPage(ticketId)}/approve`), 403, "");
      await expectRefused(async () => postForm(await signedIn(t, "carol"), `${deskPage(ticketId)}/approve`), 403, "");
    });
  });

  describe("approval", () => {
    let ticketId: number;
    beforeEach(async () => {
      ticketId = await openRequest(t);
    });

    it("is refused without any callback", async () => {
      await expectRefused(async () => approve(await signedIn(t, "bob"), ticketId), 400, "No callback has confirmed it yet");
    });

    it("is refused with only a no-answer callback", async () => {
      await callBack(t, await signedIn(t, "alice"), ticketId, "no_answer");
      await expectRefused(async () => approve(await signedIn(t, "bob"), ticketId), 400, "No callback has confirmed it yet");
    });

    it("is refused after a denied callback, even with a confirmed one", async () => {
      const alice = await signedIn(t, "alice");
      await callBack(t, alice, ticketId, "confirmed");
      await callBack(t, alice, ticketId, "denied", "Carol Jones");
      await expectRefused(async () => approve(await signedIn(t, "bob"), ticketId), 400, "Denied by Carol Jones");
    });

    it("is refused to the agent who did the callback while two-person approval is on", async () => {
      const alice = await signedIn(t, "alice");
      await callBack(t, alice, ticketId, "confirmed");
      await expectRefused(() => approve(alice, ticketId), 400, "a second agent must approve");
    });

    it("lets the same agent approve when RESET_TWO_PERSON=false", async () => {
      await t.close();
      Object.assign(t, await startTestApp({ RESET_TWO_PERSON: "false" }));
      const id = await openRequest(t);
      const alice = await signedIn(t, "alice");
      await callBack(t, alice, id, "confirmed");
      expect((await approve(alice, id)).status).to.equal(303);
    });

    /** The desk as it was before key-less delivery: with KEYLESS_DELIVERY=off a request without a usable key waits (the key-less path: keyless-delivery.test.ts). */
    const withKeylessDeliveryOff = async () => {
      await t.close();
      Object.assign(t, await startTestApp({ KEYLESS_DELIVERY: "off" }));
      ticketId = await openRequest(t);
    };

    it("is refused with no key on file under KEYLESS_DELIVERY=off, and the page says what the holder must register", async () => {
      await withKeylessDeliveryOff();
      await t.db("pgp_keys").update({ revoked_at: t.clock.now() });
      const alice = await signedIn(t, "alice");
      await callBack(t, alice, ticketId, "confirmed");
      const page = await alice.get(deskPage(ticketId));
      expect(page.text).to.include("No usable OpenPGP key").and.include("registers a key");
      await expectRefused(async () => approve(await signedIn(t, "bob"), ticketId), 400, "no key on file");
    });

    it("is refused when the key on file has expired, under KEYLESS_DELIVERY=off", async () => {
      await withKeylessDeliveryOff();
      const { publicKey } = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ email: "primary@acme.example" }], keyExpirationTime: 3600, date: t.clock.now(), format: "armored" });
      const admin = await signedIn(t, "admin");
      const primaryId = await userId(t, "ACM0001");
      expect((await postForm(admin, `/admin/logins/${primaryId}/key`, { armored_key: publicKey }, `/admin/logins/${primaryId}`)).status).to.equal(303);
      // Keep the recent-key-change rule out of this test: the key was registered long ago.
      await t.db("record_changes").update({ created_at: new Date(t.clock.now().getTime() - hours(24 * 30)) });
      t.clock.advance(hours(2));
      await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
      await expectRefused(async () => approve(await signedIn(t, "bob"), ticketId), 400, "no valid encryption key");
    });

    const primaryKeyArmored = () => readFileSync(path.join(demoDir, "ACM0001-public.asc"), "utf8");
    for (const [change, apply] of [
      // Away and back: the key on file still carries the registered address.
      ["registered email", async (t: TestApp, admin: Agent) => {
        for (const email of ["paula@elsewhere.example", "primary@acme.example"]) expect((await changeLoginEmail(t, admin, "ACM0001", email)).status).to.equal(303);
      }],
      ["contact phone", async (t: TestApp, admin: Agent) => expect((await changeContactPhone(t, admin, "Paula Primary", "+442079460077")).status).to.equal(303)],
      ["OpenPGP key", async (t: TestApp, admin: Agent) => {
        const page = `/admin/logins/${await userId(t, "ACM0001")}`;
        expect((await postForm(admin, `${page}/key/remove`, { confirm: "yes" }, page)).status).to.equal(303);
        expect((await postForm(admin, `${page}/key`, { armored_key: primaryKeyArmored() }, page)).status).to.equal(303);
      }],
    ] as const) {
      it(`needs an admin, not the one who made it, after a recent ${change} change`, async () => {
        await apply(t, await signedIn(t, "admin"));
        await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
        await expectRefused(async () => approve(await signedIn(t, "bob"), ticketId), 400, "Only an admin may approve");
        await expectRefused(async () => approve(await signedIn(t, "admin"), ticketId), 400, "The approver made none of the recent changes");
        expect((await approve(await addSecondAdmin(t), ticketId)).status).to.equal(303);
      });
    }

    it("is refused after a rejection, and a rejection needs a reason", async () => {
      const bob = await signedIn(t, "bob");
      await expectRefused(() => reject(bob, ticketId, "  "), 400, "Give the reason for rejecting");
      expect((await reject(bob, ticketId, "The callback could not reach anyone on file.")).status).to.equal(303);
      expect(((await t.db("tickets").where({ id: ticketId }).first("status")) as Row).status).to.equal("closed");
      const rejectionMails = (await t.db("outbox").where({ template: "reset-rejected" }).select("recipient")).map((r: { recipient: string }) => r.recipient).sort();
      expect(rejectionMails).to.deep.equal(["carol@acme.example", "primary@acme.example"]);
      await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed").then((res) => expect(res.status).to.equal(400));
      await expectRefused(() => approve(bob, ticketId), 400, "The request is rejected already");
      await expectRefused(() => reject(bob, ticketId, "Again."), 400, "rejected already");
    });

    it("takes callbacks only to contacts of this account with a number on file", async () => {
      const alice = await signedIn(t, "alice");
      const { accountId } = await addBetaAccount(t);
      const otherId = String(await insertContact(t.db, { accountId, userId: null, name: "Beta Contact", kind: "primary", email: null, phone: "+442079460099", authorisedForSupport: true }, t.clock.now()));
      const send = (form: Record<string, string>) => postForm(alice, `${deskPage(ticketId)}/callbacks`, form, deskPage(ticketId));
      await expectRefused(() => send({ contact_id: otherId, outcome: "confirmed" }), 400, "Choose a contact of this account");
      await expectRefused(() => send({ contact_id: "1", outcome: "maybe" }), 400, "Choose the outcome of the call");
      await expectRefused(() => send({ contact_id: "abc", outcome: "confirmed" }), 400, "Choose the contact you called");
      // The problem sits under its own field, and what was typed and chosen comes back.
      const paula = await contactId(t, "Paula Primary");
      const page = await send({ contact_id: String(paula), outcome: "maybe", notes: "Rang twice, line busy." });
      expect(page.text).to.match(/id="field-outcome-problem">Choose the outcome of the call/);
      expect(page.text).to.not.include('id="field-contact_id-problem"');
      expect(page.text).to.include(`<option value="${paula}" selected>`).and.include("Rang twice, line busy.</textarea>");
    });

    it("needs a CSRF token and an agent", async () => {
      const bob = await signedIn(t, "bob");
      await expectRefused(() => bob.post(`${deskPage(ticketId)}/approve`).type("form").send({}), 403, "");
      await expectRefused(async () => postForm(await signedIn(t, "ACM0001"), `${deskPage(ticketId)}/approve`), 403, "");
    });

    it("answers 404 for a ticket that is not a reset request", async () => {
      const bob = await signedIn(t, "bob");
      expect((await postForm(bob, "/desk/tickets/999999/approve")).status).to.equal(404);
    });
  });
});
