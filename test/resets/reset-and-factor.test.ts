import { expect } from "chai";
import { browser, type Agent } from "../support/http.js";
import { useTestApp, type TestAppHolder } from "../support/use-test-app.js";
import { postForm } from "../support/forms.js";
import { signedIn, signInOk } from "../support/sign-in.js";
import { auditRows } from "../support/audit.js";
import { count, type Row } from "../support/rows.js";
import { mailText, outboxTo } from "../support/mail.js";
import { userId } from "../support/users.js";
import { answered, codeAt, enrolTotp, passwordStep, secondStep } from "../identity/two-factor-helpers.js";
import { approve, callBack, deskPage, expectRefusedIn, REASON, temporaryPasswordFrom } from "./helpers.js";

const NEW_PRIMARY_PASSWORD = "Saffron-Lantern-42!";
/** The checklist's condition as the page prints it (EJS escapes the apostrophe). */
const ADMIN_CONDITION = "An admin approves, because the holder&#39;s second factor is lost";

/** ACM0001 sets up an authenticator app through its own pages; returns its secret. */
async function primaryEnrols(t: TestAppHolder): Promise<string> {
  return (await enrolTotp(t, await signedIn(t, "ACM0001"))).secret;
}

/** carol (or her signed-in browser) opens a request, ticking "lost the second factor too" or not; returns the ticket id. */
async function openRequestSaying(t: TestAppHolder, factorLost: boolean, carol?: Agent): Promise<number> {
  const res = await postForm(carol ?? (await signedIn(t, "carol")), "/reset-requests", { reason: REASON, ...(factorLost ? { factor_lost: "1" } : {}) }, "/");
  expect(res.status, res.text.slice(0, 500)).to.equal(303);
  return Number(/\/tickets\/(\d+)/.exec(res.headers.location as string)![1]);
}

/** The primary's factors as rows: the authenticator and the recovery codes. */
async function primaryFactors(t: TestAppHolder) {
  const id = await userId(t, "ACM0001");
  return { totp: await count(t, "totp_factors", { user_id: id }), recoveryCodes: await count(t, "recovery_codes", { user_id: id }) };
}

/** The holder's forced change with the temporary password; it ends in a signed-out session sent to sign in. */
async function forcedChange(holder: Agent, temporary: string) {
  await holder.get("/tickets").expect(303).expect("location", "/account/password");
  await answered(postForm(holder, "/account/password", { current_password: temporary, new_password: NEW_PRIMARY_PASSWORD, confirm_password: NEW_PRIMARY_PASSWORD }, "/account/password"), 303, "/login");
}

describe("primary reset and the holder's second factor", () => {
  const t = useTestApp({ smtp: true });

  it("still asks the holder's factor at sign-in with the temporary password, and keeps it after the change when the request did not say it was lost", async function () {
    this.timeout(60_000);
    const secret = await primaryEnrols(t);
    const ticketId = await openRequestSaying(t, false);
    const panel = await (await signedIn(t, "alice")).get(deskPage(ticketId)).expect(200);
    expect(panel.text).to.include("Not said to be lost");
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    await answered(approve(await signedIn(t, "bob"), ticketId), 303);
    expect(await primaryFactors(t)).to.deep.equal({ totp: 1, recoveryCodes: 10 });
    expect(await auditRows(t, "second_factor.all_removed")).to.have.length(0);

    await t.deliverMail();
    const { password } = await temporaryPasswordFrom(t, t.sink);
    const holder = browser(t.app);
    // The temporary password alone does not sign in: the second step comes first, and nothing past it is reachable.
    await passwordStep(holder, "ACM0001", password);
    await holder.get("/account/password").expect(303).expect("location", "/login/second-factor");
    await answered(secondStep(holder, codeAt(t, secret)), 303, "/account/password");
    await forcedChange(holder, password);

    // The new password still needs the factor; the factor is the one from before the reset.
    t.clock.advance(30_000);
    const again = browser(t.app);
    await passwordStep(again, "ACM0001", NEW_PRIMARY_PASSWORD);
    await answered(secondStep(again, codeAt(t, secret)), 303, "/");
    expect(await primaryFactors(t)).to.deep.equal({ totp: 1, recoveryCodes: 10 });
  });

  it("stores and shows a request that says the factor is lost, refuses an agent's approval naming the admin condition, and lets an admin approve: the factors go with the old password", async function () {
    this.timeout(60_000);
    await primaryEnrols(t);
    const ticketId = await openRequestSaying(t, true);
    const request = (await t.db("reset_requests").where({ ticket_id: ticketId }).first()) as Row;
    expect(Boolean(request.factor_lost)).to.equal(true);
    const opening = (await t.db("ticket_events").where({ ticket_id: ticketId }).orderBy("id").first()) as Row;
    expect(String(opening.body)).to.include(REASON).and.include("has also lost their second factor");
    const alert = (await outboxTo(t, "primary@acme.example")).find((m) => m.template === "reset-alert")!;
    expect(await mailText(alert.message)).to.include("has lost their second factor").and.include("If the holder has not lost them, object");

    const alice = await signedIn(t, "alice");
    const panel = await alice.get(deskPage(ticketId)).expect(200);
    expect(panel.text).to.include("Lost too, says the requester").and.include(ADMIN_CONDITION);
    await callBack(t, alice, ticketId, "confirmed");

    // bob meets every other condition; the admin one stops him, and nothing moves, the factors least of all.
    const bob = await signedIn(t, "bob");
    const factorsBefore = await primaryFactors(t);
    await expectRefusedIn(t, () => approve(bob, ticketId), 400, `${ADMIN_CONDITION}: The request says ACM0001&#39;s second factor is lost too`);
    expect(await primaryFactors(t)).to.deep.equal(factorsBefore);

    await answered(approve(await signedIn(t, "admin"), ticketId), 303);
    expect(await primaryFactors(t)).to.deep.equal({ totp: 0, recoveryCodes: 0 });
    const [removal] = await auditRows(t, "second_factor.all_removed");
    expect(removal).to.include({ actor: "admin", subject: `user:${await userId(t, "ACM0001")}` });
    expect(removal!.details).to.deep.include({ why: "lost_with_reset", ticketId, authenticatorApp: true, passkeys: 0, recoveryCodes: 10 });
    // In the approval's transaction: its audit entry and the approval's sit together, with the request delivered.
    const [approved] = await auditRows(t, "reset.approved");
    expect(approved!.details).to.deep.include({ factorsRemoved: { authenticatorApp: true, passkeys: 0, recoveryCodes: 10 } });
    expect(((await t.db("reset_requests").where({ ticket_id: ticketId }).first()) as Row).state).to.equal("delivered");
    const notice = (await outboxTo(t, "primary@acme.example")).filter((m) => m.template === "second-factor" && m.subject.includes("removed"));
    expect(notice.map((m) => m.subject)).to.deep.equal(["Your Vouchdesk login's two-step sign-in was removed with a password reset"]);
    expect(await mailText(notice[0]!.message)).to.include("Set up two-step sign-in again").and.not.include("from the address");
  });

  it("lets the holder sign in with the temporary password alone after a lost-factor reset, then offers enrolment after the forced change", async function () {
    this.timeout(60_000);
    await primaryEnrols(t);
    const ticketId = await openRequestSaying(t, true);
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    await answered(approve(await signedIn(t, "admin"), ticketId), 303);
    await t.deliverMail();
    const { password } = await temporaryPasswordFrom(t, t.sink);

    const holder = browser(t.app);
    const signedInTemp = await signInOk(holder, "ACM0001", password);
    expect(signedInTemp.headers.location).to.equal("/account/password");
    await forcedChange(holder, password);
    const after = await signInOk(holder, "ACM0001", NEW_PRIMARY_PASSWORD);
    expect(after.headers.location).to.equal("/account/two-factor-offer");
    const offer = await holder.get("/account/two-factor-offer").expect(200);
    expect(offer.text).to.include('href="/account/two-factor"').and.include("Not now");
    // Offered, not required (CUSTOMER_SECOND_FACTOR=optional): the rest of the desk is open.
    await holder.get("/tickets").expect(200);
    // Once only: the next sign-in goes home.
    const next = await signInOk(browser(t.app), "ACM0001", NEW_PRIMARY_PASSWORD);
    expect(next.headers.location).to.equal("/");
  });
});

describe("primary reset after a lost factor, when customers must have one", () => {
  const t = useTestApp({ smtp: true, env: { CUSTOMER_SECOND_FACTOR: "required" } });

  it("takes the holder from the forced change to enrolment, and nowhere else", async function () {
    this.timeout(60_000);
    await primaryEnrols(t);
    // The requester needs a factor too under this policy before the desk lets her ask.
    const carol = await signedIn(t, "carol");
    await enrolTotp(t, carol);
    const ticketId = await openRequestSaying(t, true, carol);
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    await answered(approve(await signedIn(t, "admin"), ticketId), 303);
    await t.deliverMail();
    const { password } = await temporaryPasswordFrom(t, t.sink);

    const holder = browser(t.app);
    await signInOk(holder, "ACM0001", password);
    await forcedChange(holder, password);
    await signInOk(holder, "ACM0001", NEW_PRIMARY_PASSWORD);
    for (const page of ["/", "/tickets", "/account/two-factor-offer"]) await holder.get(page).expect(303).expect("location", "/account/two-factor");
    const enrolment = await holder.get("/account/two-factor").expect(200);
    expect(enrolment.text).to.include("Your login must have two-step sign-in.");
  });
});

describe("primary reset after a lost factor, when one agent may verify and approve (RESET_TWO_PERSON=false)", () => {
  const t = useTestApp({ smtp: true, env: { RESET_TWO_PERSON: "false" } });

  it("still needs a second person: the admin who did the callback is refused with the condition named, and nothing changes", async function () {
    this.timeout(60_000);
    await primaryEnrols(t);
    const ticketId = await openRequestSaying(t, true);
    const admin = await signedIn(t, "admin");
    await callBack(t, admin, ticketId, "confirmed");
    const factorsBefore = await primaryFactors(t);
    await expectRefusedIn(t, () => approve(admin, ticketId), 400, "The approver is not the agent who did the callback: You recorded the confirming callback");
    expect(await primaryFactors(t)).to.deep.equal(factorsBefore);
    expect(((await t.db("reset_requests").where({ ticket_id: ticketId }).first()) as Row).state).to.equal("pending");
    expect(await auditRows(t, "reset.approved")).to.have.length(0);
  });
});
