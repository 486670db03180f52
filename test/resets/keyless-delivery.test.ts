import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { demoDir } from "../../src/shared/paths.js";
import { ConfigError, loadConfig } from "../../src/shared/config.js";
import { spokenPassphrase } from "../../src/resets/delivery-passphrase.js";
import { changeContactPhone, changeLoginEmail } from "../accounts/helpers.js";
import { auditRows } from "../support/audit.js";
import { browser } from "../support/http.js";
import { postForm } from "../support/forms.js";
import { outboxRow } from "../support/mail.js";
import { decryptLockedWithGnupg, openLocked } from "../support/pgp.js";
import type { Row } from "../support/rows.js";
import { signInOk, signedIn } from "../support/sign-in.js";
import { startTestApp } from "../support/test-app.js";
import { userId } from "../support/users.js";
import { useTestApp } from "../support/use-test-app.js";
import { addSecondAdmin, approve, callBack, deskPage, expectRefusedIn, lockedMailFrom, openRequest, passphraseOn, reject, removeDemoKey, TEMP_PASSWORD, temporaryPasswordFrom } from "./helpers.js";

const NEW_PRIMARY_PASSWORD = "Saffron-Lantern-42!";
const READ_OUT = "Read this to Paula Primary now; it unlocks the mail with the temporary password";
const PASSPHRASE_CONDITION = "A delivery passphrase was read on a confirmed callback to the primary contact";

/** Issue 14: a primary holder with no OpenPGP key gets the temporary password locked with a passphrase read on the callback (DESIGN §3 step 4b). */
describe("primary reset: key-less delivery", () => {
  const t = useTestApp({ smtp: true });

  const request = async (ticketId: number) => (await t.db("reset_requests").where({ ticket_id: ticketId }).first()) as Row;
  const keyless = async () => {
    await removeDemoKey(t);
    return openRequest(t);
  };

  it("shows the passphrase once to the calling agent, sends the mail locked with it, and the holder signs in with the password inside", async function () {
    this.timeout(60_000);
    const ticketId = await keyless();
    const alice = await signedIn(t, "alice");
    const before = await alice.get(deskPage(ticketId)).expect(200);
    expect(before.text).to.include("Call back Paula Primary on a number on file and record a confirmed callback: the desk will show a passphrase to read out");

    // 1. alice's confirmed callback to the holder answers with the passphrase, once, uncached.
    const answer = await callBack(t, alice, ticketId, "confirmed");
    const passphrase = passphraseOn(answer);
    expect(answer.text).to.include(READ_OUT).and.include(`href="/desk/tickets/${ticketId}"`);
    for (const group of spokenPassphrase(passphrase)) expect(answer.text, "spelled out in the NATO alphabet").to.include(`<li>${group}</li>`);
    const sealed = await request(ticketId);
    expect(sealed.delivery_passphrase_sealed).to.be.a("string").and.not.include(passphrase);
    const callback = (await t.db("callbacks").where({ reset_request_id: sealed.id }).orderBy("id", "desc").first()) as Row;
    expect(Number(sealed.passphrase_callback_id)).to.equal(Number(callback.id));
    expect(await t.leaks(passphrase), "the passphrase is only sealed").to.equal(false);

    // 2. Never again, to anyone: alice's ticket page, bob's, the requester's; the timeline says it was issued.
    const bob = await signedIn(t, "bob");
    const alicePage = (await alice.get(deskPage(ticketId)).expect(200)).text;
    const bobPage = (await bob.get(deskPage(ticketId)).expect(200)).text;
    const carolPage = (await (await signedIn(t, "carol")).get(`/tickets/${ticketId}`).expect(200)).text;
    for (const page of [alicePage, bobPage, carolPage]) expect(page).to.not.include(passphrase).and.not.include(READ_OUT);
    expect(bobPage).to.include("A passphrase was read on the callback of").and.include("by alice");
    expect(bobPage).to.include("locked with the passphrase alice read to Paula Primary").and.include(PASSPHRASE_CONDITION);
    expect(bobPage).to.include("A delivery passphrase was issued and shown once to alice to read out");
    expect((await auditRows(t, "reset.callback_recorded")).at(-1)!.details).to.include({ deliveryPassphraseIssued: true });

    // 3. alice read it: she may not approve, even once bob's callback to Carol confirmed it too; bob approves
    // (no factor on his login, so no step-up), and the passphrase is erased.
    expect((await callBack(t, bob, ticketId, "confirmed", "Carol Jones")).status).to.equal(303);
    await expectRefusedIn(t, () => approve(alice, ticketId), 400, "You read the delivery passphrase to the holder: a second agent must approve.");
    expect((await approve(bob, ticketId)).status).to.equal(303);
    const delivered = await request(ticketId);
    expect(delivered).to.include({ state: "delivered", delivery_passphrase_sealed: null, key_fingerprint: null });

    // 4. The mail opens with the passphrase in openpgp.js and in GnuPG, signed by the desk; neither secret in clear.
    await t.deliverMail();
    const { raw, locked } = await lockedMailFrom(t.sink);
    expect(raw).to.not.match(/multipart\/encrypted/);
    const text = await openLocked(t, locked, passphrase);
    const password = TEMP_PASSWORD.exec(text)?.[1];
    expect(password, "the temporary password in the locked message").to.be.a("string");
    for (const secret of [password!, passphrase]) expect(raw).to.not.include(secret);
    const gpg = decryptLockedWithGnupg(t, locked, passphrase);
    expect(gpg.status, gpg.stderr).to.equal(0);
    expect(gpg.stdout).to.include(`Temporary password: ${password!}`);
    expect(gpg.stderr).to.include('Good signature from "Vouchdesk test desk <desk@vouchdesk.test>"');

    // 5. The outbox keeps the headers and a digest, no ciphertext.
    const sent = await outboxRow(t.db, Number(delivered.outbox_id));
    expect(sent.status).to.equal("sent");
    expect((sent as unknown as Row).sent_sha256).to.match(/^[0-9a-f]{64}$/);
    expect(sent.message).to.not.include("BEGIN PGP MESSAGE").and.not.include("vouchdesk-message.asc");

    // 6. The holder signs in with it and must change it at once.
    const holder = browser(t.app);
    await signInOk(holder, "ACM0001", password!);
    expect((await holder.get("/tickets")).headers.location).to.equal("/account/password");
    const changed = await postForm(holder, "/account/password", { current_password: password!, new_password: NEW_PRIMARY_PASSWORD, confirm_password: NEW_PRIMARY_PASSWORD }, "/account/password");
    expect(changed.status, changed.text.slice(0, 400)).to.equal(303);
    expect((await request(ticketId)).state).to.equal("redeemed");

    // 7. Neither secret anywhere: DB file, WAL, rows, logs, the pages the desk sees.
    for (const secret of [password!, passphrase]) expect(await t.leaks(secret), "a secret leaked into the database, its WAL or the logs").to.equal(false);
    const admin = await signedIn(t, "admin");
    const pages = [await alice.get(deskPage(ticketId)), await bob.get(deskPage(ticketId)), await admin.get(`/admin/mail/${String(delivered.outbox_id)}`), await admin.get("/admin/audit")];
    for (const page of pages) expect(page.text).to.not.include(password!).and.not.include(passphrase);
  });

  it("issues no passphrase for a callback to another contact, and approval is refused naming the condition", async () => {
    const ticketId = await keyless();
    const answer = await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed", "Carol Jones");
    expect(answer.status).to.equal(303);
    expect((await request(ticketId)).delivery_passphrase_sealed).to.equal(null);
    await expectRefusedIn(t, async () => approve(await signedIn(t, "bob"), ticketId), 400, `${PASSPHRASE_CONDITION}: No usable OpenPGP key`);
    const page = await (await signedIn(t, "bob")).get(deskPage(ticketId));
    expect(page.text).to.include("Call back Paula Primary on a number on file");
  });

  it("issues no passphrase on a callback to a number its caller just changed", async () => {
    const ticketId = await keyless();
    const admin = await signedIn(t, "admin");
    expect((await changeContactPhone(t, admin, "Paula Primary", "+442079460077")).status).to.equal(303);
    expect((await callBack(t, admin, ticketId, "confirmed")).status).to.equal(303);
    expect((await request(ticketId)).delivery_passphrase_sealed).to.equal(null);
    expect((await admin.get(deskPage(ticketId))).text).to.include("does not count: admin changed that number").and.include("Call back Paula Primary");
  });

  it("with KEYLESS_DELIVERY=off, a key-less request waits: no passphrase, approval refused as before", async () => {
    await t.close();
    Object.assign(t, await startTestApp({ KEYLESS_DELIVERY: "off" }));
    await removeDemoKey(t);
    // The requester is told up front that the request will wait for a key, and is shown no address.
    const form = (await (await signedIn(t, "carol")).get("/reset-requests/new").expect(200)).text;
    expect(form).to.include("cannot be sent until the primary holder").and.include("the request waits until one is registered").and.not.include("reads them a passphrase");
    expect(form).to.not.include("primary@acme.example");
    const ticketId = await openRequest(t);
    const alice = await signedIn(t, "alice");
    expect((await callBack(t, alice, ticketId, "confirmed")).status).to.equal(303);
    expect((await request(ticketId)).delivery_passphrase_sealed).to.equal(null);
    expect((await alice.get(deskPage(ticketId))).text).to.include("registers a key").and.not.include(PASSPHRASE_CONDITION);
    await expectRefusedIn(t, async () => approve(await signedIn(t, "bob"), ticketId), 400, "The primary login has a usable OpenPGP key for its registered address: No usable OpenPGP key");
  });

  it("reads KEYLESS_DELIVERY as on (the default) or off, and names any other value", () => {
    expect(loadConfig({}).keylessDelivery).to.equal(true);
    expect(loadConfig({ KEYLESS_DELIVERY: "off" }).keylessDelivery).to.equal(false);
    expect(() => loadConfig({ KEYLESS_DELIVERY: "no" })).to.throw(ConfigError, 'Invalid configuration: KEYLESS_DELIVERY must be on or off (got "no")');
  });

  it("replaces the passphrase with each new confirmed callback to the holder: only the last opens the mail", async () => {
    const ticketId = await keyless();
    const alice = await signedIn(t, "alice");
    const first = passphraseOn(await callBack(t, alice, ticketId, "confirmed"));
    const second = passphraseOn(await callBack(t, alice, ticketId, "confirmed"));
    expect(second).to.not.equal(first);
    expect((await alice.get(deskPage(ticketId))).text).to.include("it replaces the one read before");
    expect((await approve(await signedIn(t, "bob"), ticketId)).status).to.equal(303);
    await t.deliverMail();
    const { locked } = await lockedMailFrom(t.sink);
    expect(await openLocked(t, locked, second)).to.match(TEMP_PASSWORD);
    let refusal: unknown;
    await openLocked(t, locked, first).catch((err: unknown) => (refusal = err));
    expect(String(refusal)).to.include("Error decrypting message");
  });

  it("erases the passphrase when the request is rejected, and keeps it erased through a withdrawal", async () => {
    const rejected = await keyless();
    passphraseOn(await callBack(t, await signedIn(t, "alice"), rejected, "confirmed"));
    expect((await request(rejected)).delivery_passphrase_sealed).to.be.a("string");
    expect((await reject(await signedIn(t, "bob"), rejected, "The holder did not recognise the request.")).status).to.equal(303);
    expect(await request(rejected)).to.include({ state: "rejected", delivery_passphrase_sealed: null });

    const withdrawn = await openRequest(t);
    passphraseOn(await callBack(t, await signedIn(t, "alice"), withdrawn, "confirmed"));
    const bob = await signedIn(t, "bob");
    expect((await approve(bob, withdrawn)).status).to.equal(303);
    expect((await postForm(bob, `${deskPage(withdrawn)}/withdraw`, { reason: "Sent to the wrong person." }, deskPage(withdrawn))).status).to.equal(303);
    expect(await request(withdrawn)).to.include({ state: "withdrawn", delivery_passphrase_sealed: null });
    expect(Number((await request(withdrawn)).passphrase_callback_id)).to.be.above(0);
  });

  it("delivers to a key registered after the passphrase was read, with today's PGP/MIME mail, and erases the passphrase", async function () {
    this.timeout(30_000);
    const ticketId = await keyless();
    passphraseOn(await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed"));
    const page = `/admin/logins/${await userId(t, "ACM0001")}`;
    const armored_key = readFileSync(path.join(demoDir, "ACM0001-public.asc"), "utf8");
    expect((await postForm(await signedIn(t, "admin"), `${page}/key`, { armored_key }, page)).status).to.equal(303);
    // A key registered this week: an admin other than the one who registered it approves.
    const ada = await addSecondAdmin(t);
    expect((await ada.get(deskPage(ticketId))).text).to.include("The temporary password will be encrypted to key");
    expect((await approve(ada, ticketId)).status).to.equal(303);
    expect((await request(ticketId)).delivery_passphrase_sealed).to.equal(null);
    await t.deliverMail();
    expect((await temporaryPasswordFrom(t, t.sink)).password).to.be.a("string");
  });

  it("voids the passphrase when the primary's address changes after it was read: approval refused, nothing sent (the reader must not choose where the mail goes)", async () => {
    const ticketId = await keyless();
    passphraseOn(await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed"));
    t.clock.advance(60_000);
    await changeLoginEmail(t, await signedIn(t, "admin"), "ACM0001", "paula@elsewhere.example");
    const ada = await addSecondAdmin(t);
    const page = (await ada.get(deskPage(ticketId))).text;
    expect(page, page.slice(page.indexOf("Delivery"), page.indexOf("Delivery") + 600)).to.include("The passphrase alice read on").and.include("no longer counts: the registered email address of the login ACM0001 changed after it");
    await expectRefusedIn(t, () => approve(ada, ticketId), 400, PASSPHRASE_CONDITION);
    expect((await request(ticketId)).state).to.equal("pending");
  });

  it("refuses an unreadable stored passphrase with a clear 400 and sends nothing (a value sealed with another data key, or altered)", async () => {
    const ticketId = await keyless();
    passphraseOn(await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed"));
    await t.db("reset_requests").where({ ticket_id: ticketId }).update({ delivery_passphrase_sealed: "v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==:AAAA" });
    const bob = await signedIn(t, "bob");
    await expectRefusedIn(t, () => approve(bob, ticketId), 400, "The delivery passphrase can no longer be opened");
  });
});

describe("primary reset: key-less delivery when one agent may verify and approve (RESET_TWO_PERSON=false)", () => {
  const t = useTestApp({ smtp: true, env: { RESET_TWO_PERSON: "false" } });

  it("still never lets the agent who read the passphrase approve: the condition is named and nothing changes; another agent approves", async () => {
    await removeDemoKey(t);
    const ticketId = await openRequest(t);
    const alice = await signedIn(t, "alice");
    passphraseOn(await callBack(t, alice, ticketId, "confirmed"));
    await expectRefusedIn(t, () => approve(alice, ticketId), 400, "The approver is not the agent who read the delivery passphrase");
    expect((await approve(await signedIn(t, "bob"), ticketId)).status).to.equal(303);
  });
});
