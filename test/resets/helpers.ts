/**
 * Helpers for the primary reset tests: the four people of the flow as browsers, the steps
 * they take over HTTP, and reading the temporary password the way the holder would: from the
 * PGP/MIME mail the SMTP server received, decrypted with the demo private key.
 */
import { expect } from "chai";
import { simpleParser } from "mailparser";
import { browser, type Agent } from "../support/http.js";
import { signedIn } from "../support/sign-in.js";
import type { SmtpSink } from "../support/smtp-sink.js";
import type { TestApp } from "../support/test-app.js";
import { createLogin } from "../../src/accounts/index.js";
import { latestLinkTo, setPasswordByLink } from "../support/links.js";
import { decryptForPrimary } from "../support/pgp.js";
import { postForm } from "../support/forms.js";
import { count, type Row } from "../support/rows.js";
import { userId, userRow, actorFor } from "../support/users.js";

export const REASON = "Paula is locked out after a holiday and the self-service link went nowhere.";

/**
 * A second admin, `ada`, who signs in with DEMO_PASSWORD: the one who approves after `admin`
 * changed the records. Confirmed at once, as an operator's CLI-made admin is (a console-made
 * one waits for a second admin: see {@link staffByConsole}).
 */
export async function addSecondAdmin(t: TestApp, username = "ada"): Promise<Agent> {
  const admin = await actorFor(t, "admin");
  const made = await createLogin(t, { accountId: null, role: "admin", username, displayName: "Ada Admin", email: `${username}@vouchdesk.example`, canOpenCases: false }, admin);
  if (!made.ok) throw new Error(JSON.stringify(made.problems));
  await t.db("users").where({ id: made.value }).update({ password_hash: (await userRow(t, "alice")).password_hash, activated_at: t.clock.now(), confirmed_at: t.clock.now() });
  await t.db("outbox").where({ recipient: `${username}@vouchdesk.example` }).del();
  return signedIn(t, username);
}

export const STAFF_PASSWORD = "Zq8#vLp2!mWx9rTe";

/**
 * A staff login made the way an admin's console makes one: `POST /admin/staff` with an address
 * the admin chose, its password set through the mailed link; returns its signed-in browser.
 */
export async function staffByConsole(t: TestApp, admin: Agent, role: "agent" | "admin", username: string, email = `${username}@elsewhere.example`): Promise<Agent> {
  const made = await postForm(admin, "/admin/staff", { role, username, display_name: `${username} (staff)`, email }, "/admin/staff");
  expect(made.status, made.text.slice(0, 500)).to.equal(303);
  const set = await setPasswordByLink(browser(t.app), await latestLinkTo(t, email), STAFF_PASSWORD);
  expect(set.status, set.text.slice(0, 500)).to.be.oneOf([302, 303]);
  return signedIn(t, username, STAFF_PASSWORD);
}

/** A confirmed admin's browser confirms a staff login on its page; returns the response. */
export async function confirmStaff(t: TestApp, admin: Agent, username: string) {
  const page = `/admin/logins/${await userId(t, username)}`;
  return postForm(admin, `${page}/confirm`, {}, page);
}

/** Posts the request form with the CSRF token of the home page (the form page itself is 403 to whoever may not ask). */
export const requestReset = (agent: Agent, reason = REASON) => postForm(agent, "/reset-requests", { reason }, "/");

/** carol opens a request; returns the new ticket's id. */
export async function openRequest(t: TestApp, username = "carol"): Promise<number> {
  const res = await requestReset(await signedIn(t, username));
  expect(res.status, res.text.slice(0, 500)).to.equal(303);
  return Number(/\/tickets\/(\d+)/.exec(res.headers.location as string)![1]);
}

export async function contactId(t: TestApp, name: string): Promise<number> {
  return Number(((await t.db("contacts").where({ name }).first("id")) as Row).id);
}

export const deskPage = (ticketId: number) => `/desk/tickets/${ticketId}`;

export async function callBack(t: TestApp, agent: Agent, ticketId: number, outcome: string, contact = "Paula Primary") {
  return postForm(agent, `${deskPage(ticketId)}/callbacks`, { contact_id: String(await contactId(t, contact)), outcome, notes: "Spoke to the contact on the number on file." }, deskPage(ticketId));
}

export const approve = (agent: Agent, ticketId: number) => postForm(agent, `${deskPage(ticketId)}/approve`, {}, deskPage(ticketId));
export const reject = (agent: Agent, ticketId: number, reason: string) => postForm(agent, `${deskPage(ticketId)}/reject`, { reason }, deskPage(ticketId));

/** What must not move when a step is refused: rows, mail, the primary's credentials, the ticket. */
export async function snapshot(t: TestApp): Promise<Record<string, unknown>> {
  const primary = (await t.db("users").where({ username: "ACM0001" }).first("password_hash", "session_epoch", "must_change_password", "temp_password_expires_at")) as Row;
  const requests = (await t.db("reset_requests").orderBy("id").select("id", "state", "approved_by", "rejected_by", "objected_at", "objection_cleared_at")) as Row[];
  const tickets = (await t.db("tickets").orderBy("id").select("id", "status")) as Row[];
  return {
    outbox: await count(t, "outbox"),
    callbacks: await count(t, "callbacks"),
    events: await count(t, "ticket_events"),
    primary: JSON.stringify(primary),
    requests: JSON.stringify(requests),
    tickets: JSON.stringify(tickets),
  };
}

/** Runs a step that must be refused: its status, its reason in the answer, and {@link snapshot} unchanged. */
export async function expectRefusedIn(t: TestApp, step: () => Promise<{ status: number; text: string }>, status: number, reason: string): Promise<void> {
  const before = await snapshot(t);
  const res = await step();
  expect(res.status, res.text.slice(0, 600)).to.equal(status);
  expect(res.text).to.include(reason);
  expect(await snapshot(t), "nothing changed").to.deep.equal(before);
}

export const TEMP_PASSWORD = /Temporary password:\s+(\S+)/;

/** The temporary password in the newest mail the SMTP server received for the primary's address. */
export async function temporaryPasswordFrom(t: TestApp, sink: SmtpSink): Promise<{ password: string; raw: string }> {
  const mails = sink.received.filter((m) => m.to.includes("primary@acme.example") && /multipart\/encrypted/.test(m.raw));
  expect(mails, "an encrypted mail to the primary's address").to.not.have.length(0);
  const raw = mails[mails.length - 1]!.raw;
  const text = await decryptForPrimary(t, raw);
  const password = TEMP_PASSWORD.exec(text)?.[1];
  expect(password, "a temporary password in the decrypted mail").to.be.a("string");
  return { password: password!, raw };
}

/**
 * Makes ACM0001 key-less, as the README's key-less walk-through does: an admin removes its
 * demo key on the login's page. The change is then dated a month back, so the recent-key-change
 * rule (an admin approves) stays out of the test.
 */
export async function removeDemoKey(t: TestApp): Promise<void> {
  const page = `/admin/logins/${await userId(t, "ACM0001")}`;
  const removed = await postForm(await signedIn(t, "admin"), `${page}/key/remove`, { confirm: "yes" }, page);
  expect(removed.status, removed.text.slice(0, 500)).to.equal(303);
  await t.db("record_changes").update({ created_at: new Date(t.clock.now().getTime() - 30 * 24 * 3600_000) });
}

export const PASSPHRASE_SHOWN = /id="delivery-passphrase"><code>([A-Z0-9]{4}(?:-[A-Z0-9]{4}){3})<\/code>/;

/** The delivery passphrase on the callback's own answer page (200, never cached). */
export function passphraseOn(res: { status: number; text: string; headers: Record<string, string> }): string {
  expect(res.status, res.text.slice(0, 500)).to.equal(200);
  expect(res.headers["cache-control"]).to.equal("no-store");
  const passphrase = PASSPHRASE_SHOWN.exec(res.text)?.[1];
  expect(passphrase, "a passphrase on the page").to.be.a("string");
  return passphrase!;
}

/** The newest key-less temporary password mail the SMTP server received for the primary's address: the raw mail and its locked message (the .asc attachment). */
export async function lockedMailFrom(sink: SmtpSink): Promise<{ raw: string; locked: string }> {
  const mails = sink.received.filter((m) => m.to.includes("primary@acme.example") && /multipart\/mixed/.test(m.raw) && /vouchdesk-message\.asc/.test(m.raw));
  expect(mails, "a passphrase-locked mail to the primary's address").to.not.have.length(0);
  const raw = mails[mails.length - 1]!.raw;
  const parsed = await simpleParser(raw);
  return { raw, locked: parsed.attachments.find((a) => a.filename === "vouchdesk-message.asc")!.content.toString("utf8") };
}
