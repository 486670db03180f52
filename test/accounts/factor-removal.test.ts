import { expect } from "chai";
import type { Agent } from "../support/http.js";
import { postForm } from "../support/forms.js";
import { signedIn } from "../support/sign-in.js";
import { auditRows } from "../support/audit.js";
import { count } from "../support/rows.js";
import { mailText, outboxTo } from "../support/mail.js";
import { userId, userRow } from "../support/users.js";
import { useTestApp, type TestAppHolder } from "../support/use-test-app.js";
import { enrolTotp } from "../identity/two-factor-helpers.js";
import { addBetaAccount } from "./helpers.js";

/** The login's factors as rows: an authenticator (0 or 1) and its recovery codes. */
async function factorsOf(t: TestAppHolder, username: string) {
  const id = await userId(t, username);
  return { totp: await count(t, "totp_factors", { user_id: id }), recoveryCodes: await count(t, "recovery_codes", { user_id: id }) };
}

const ENROLLED = { totp: 1, recoveryCodes: 10 };
const NONE = { totp: 0, recoveryCodes: 0 };

/** The login signs in and sets up an authenticator; returns its signed-in browser (the session that must end). */
async function enrolled(t: TestAppHolder, username: string): Promise<Agent> {
  const agent = await signedIn(t, username);
  await enrolTotp(t, agent);
  return agent;
}

/** The notices of a factor removal queued to an address. */
const removalNotices = async (t: TestAppHolder, address: string) => (await outboxTo(t, address)).filter((m) => m.template === "second-factor" && m.subject.includes("removed"));

describe("removing another login's two-step sign-in", () => {
  const t = useTestApp();

  describe("by the primary holder, for a secondary of its account", () => {
    it("offers it for a secondary with a factor; removing ends its sessions, is audited and mailed", async () => {
      const carol = await enrolled(t, "carol");
      const primary = await signedIn(t, "ACM0001");
      const page = await primary.get("/account/users").expect(200);
      const carolId = await userId(t, "carol");
      expect(page.text).to.include(`/account/users/${carolId}/remove-factors`);
      expect(page.text).to.not.include(`/account/users/${await userId(t, "dave")}/remove-factors`);

      const res = await postForm(primary, `/account/users/${carolId}/remove-factors`, { confirm: "yes" }, "/account/users");
      expect(res.status).to.equal(303);
      expect(await factorsOf(t, "carol")).to.deep.equal(NONE);
      await carol.get("/").expect(303).expect("location", "/login");
      const flashed = await primary.get("/account/users").expect(200);
      expect(flashed.text).to.include("carol&#39;s two-step sign-in is removed");
      const [entry] = await auditRows(t, "second_factor.all_removed");
      expect(entry).to.include({ actor: "ACM0001", subject: `user:${carolId}` });
      expect(entry!.details).to.deep.equal({ why: "by_primary", username: "carol", authenticatorApp: true, passkeys: 0, recoveryCodes: 10 });
      const notices = await removalNotices(t, "carol@acme.example");
      expect(notices.map((m) => m.subject)).to.deep.equal(["Your Vouchdesk login's two-step sign-in was removed by your account's primary login"]);
      expect(await mailText(notices[0]!.message)).to.include("Every session of your login was signed out");
    });

    it("answers 404 for another account's secondary and for the primary itself, and changes nothing", async () => {
      const beta = await addBetaAccount(t);
      await enrolled(t, "erin");
      const primary = await enrolled(t, "ACM0001");
      const before = (await auditRows(t)).length;
      for (const id of [beta.erinId, await userId(t, "ACM0001")]) {
        const res = await postForm(primary, `/account/users/${id}/remove-factors`, { confirm: "yes" }, "/account/users");
        expect(res.status).to.equal(404);
        expect(res.text).to.include("There is no such login in your account.");
      }
      expect(await factorsOf(t, "erin")).to.deep.equal(ENROLLED);
      expect(await factorsOf(t, "ACM0001")).to.deep.equal(ENROLLED);
      expect((await auditRows(t)).length).to.equal(before);
      expect(await removalNotices(t, "erin@beta.example")).to.have.length(0);
    });

    it("says so when the secondary has no factor, and changes nothing", async () => {
      const primary = await signedIn(t, "ACM0001");
      const daveId = await userId(t, "dave");
      const res = await postForm(primary, `/account/users/${daveId}/remove-factors`, { confirm: "yes" }, "/account/users");
      expect(res.status).to.equal(303);
      expect((await primary.get("/account/users").expect(200)).text).to.include("Nothing was removed. dave has no two-step sign-in to remove.");
      expect(await auditRows(t, "second_factor.all_removed")).to.have.length(0);
    });
  });

  describe("by an admin, on a staff login's page", () => {
    it("removes a staff member's factors: sessions ended, audited, mailed", async () => {
      const alice = await enrolled(t, "alice");
      const admin = await signedIn(t, "admin");
      const page = `/admin/logins/${await userId(t, "alice")}`;
      expect((await admin.get(page).expect(200)).text).to.include(`${page}/remove-factors`);
      const res = await postForm(admin, `${page}/remove-factors`, { confirm: "yes" }, page);
      expect(res.status).to.equal(303);
      expect(await factorsOf(t, "alice")).to.deep.equal(NONE);
      // Whoever signs in next with the password alone enrols their own factor: a second admin must confirm the login again.
      expect((await userRow(t, "alice")).unconfirmed_by).to.equal(await userId(t, "admin"));
      expect((await auditRows(t, "login.unconfirmed"))[0]!.details).to.include({ username: "alice", why: "factors_removed" });
      await alice.get("/").expect(303).expect("location", "/login");
      const [entry] = await auditRows(t, "second_factor.all_removed");
      expect(entry).to.include({ actor: "admin", subject: `user:${await userId(t, "alice")}` });
      expect(entry!.details).to.include({ why: "by_admin", authenticatorApp: true, passkeys: 0, recoveryCodes: 10 });
      expect((await removalNotices(t, "alice@vouchdesk.example")).map((m) => m.subject)).to.deep.equal(["Your Vouchdesk login's two-step sign-in was removed by an admin"]);
    });

    it("refuses a customer login and the admin's own, saying why, and changes nothing", async () => {
      await enrolled(t, "carol");
      const admin = await enrolled(t, "admin");
      const before = (await auditRows(t)).length;
      for (const [username, reason] of [
        ["carol", "carol is a customer login: its two-step sign-in is removed only by a primary reset request"],
        ["admin", "This is your own login: change your two-step sign-in under My profile"],
      ] as const) {
        const page = `/admin/logins/${await userId(t, username)}`;
        const res = await postForm(admin, `${page}/remove-factors`, { confirm: "yes" }, page);
        expect(res.status, username).to.equal(400);
        expect(res.text).to.include(reason);
        expect(await factorsOf(t, username)).to.deep.equal(ENROLLED);
      }
      expect((await auditRows(t)).length).to.equal(before);
      expect(await removalNotices(t, "carol@acme.example")).to.have.length(0);
      expect(await removalNotices(t, "admin@vouchdesk.example")).to.have.length(0);
    });

    it("is for admins only: an agent gets 403 and nothing changes", async () => {
      await enrolled(t, "alice");
      const bob = await signedIn(t, "bob");
      const page = `/admin/logins/${await userId(t, "alice")}`;
      expect((await postForm(bob, `${page}/remove-factors`, { confirm: "yes" }, "/")).status).to.equal(403);
      expect(await factorsOf(t, "alice")).to.deep.equal(ENROLLED);
    });
  });
});
