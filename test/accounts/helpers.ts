/**
 * Small helpers shared by the accounts and password tests (test/accounts/, test/auth/):
 * reading rows, audit entries and mailed set-password links back out of a real test app.
 */
import { expect } from "chai";
import { simpleParser } from "mailparser";
import { unsealWithDesk } from "../../src/platform/mail/pgp.js";
import { postForm } from "../support/forms.js";
import type { Agent } from "../support/http.js";
import type { Row } from "../support/rows.js";
import type { TestApp } from "../support/test-app.js";
import { userRow } from "../support/users.js";

export interface OutboxRow {
  id: number;
  recipient: string;
  subject: string;
  template: string;
  /** The message as the worker hands it to the transport (a sealed one opened with the desk key). */
  message: string;
  encrypted: boolean;
  sealed: boolean;
}

/** The outbox rows to one address (or all), oldest first. */
export async function outboxTo(t: TestApp, recipient?: string): Promise<OutboxRow[]> {
  const query = t.db("outbox").orderBy("id");
  if (recipient) query.where({ recipient });
  const rows = (await query) as Row[];
  return Promise.all(
    rows.map(async (r) => ({
      id: Number(r.id),
      recipient: r.recipient as string,
      subject: r.subject as string,
      template: r.template as string,
      message: r.sealed ? await unsealWithDesk(r.message as string, t.mailer.deskKey) : (r.message as string),
      encrypted: Boolean(r.encrypted),
      sealed: Boolean(r.sealed),
    })),
  );
}

/** The decoded plain text of a raw RFC 5322 message. */
export async function mailText(raw: string): Promise<string> {
  return (await simpleParser(raw)).text ?? "";
}

const LINK = /\/set-password\/([A-Za-z0-9_-]+)/;

/** The set-password token in a raw message (decoded first: quoted-printable breaks long lines). */
export async function tokenIn(raw: string): Promise<string> {
  const match = LINK.exec(await mailText(raw));
  expect(match, "a /set-password/<token> link in the mail").to.not.equal(null);
  return match![1]!;
}

/** The token of the newest set-password mail queued to the address. */
export async function latestLinkTo(t: TestApp, recipient: string): Promise<string> {
  const mails = (await outboxTo(t, recipient)).filter((m) => m.template === "set-password");
  expect(mails, `a set-password mail to ${recipient}`).to.not.have.length(0);
  return tokenIn(mails[mails.length - 1]!.message);
}

/** Chooses a password through a set-password link in a fresh (anonymous) browser; returns the response. */
export async function setPasswordByLink(agent: Agent, token: string, password: string, confirm = password) {
  return postForm(agent, `/set-password/${token}`, { new_password: password, confirm_password: confirm }, `/set-password/${token}`);
}

/** An admin's browser changes a login's registered address through the login page; returns the response. */
export async function changeLoginEmail(t: TestApp, admin: Agent, username: string, email: string) {
  const login = await userRow(t, username);
  const form = { display_name: login.display_name as string, email, ...(login.can_open_cases ? { can_open_cases: "1" } : {}) };
  return postForm(admin, `/admin/logins/${Number(login.id)}`, form, `/admin/logins/${Number(login.id)}`);
}

/** An admin's browser changes a contact's phone number (everything else kept) through the contact page; returns the response. */
export async function changeContactPhone(t: TestApp, admin: Agent, name: string, phone: string) {
  const c = (await t.db("contacts").where({ name }).first()) as Row;
  const form = {
    name,
    kind: c.kind as string,
    email: (c.email as string | null) ?? "",
    phone,
    ...(c.authorised_for_support ? { authorised_for_support: "1" } : {}),
    user_id: c.user_id === null ? "" : String(Number(c.user_id)),
  };
  return postForm(admin, `/admin/contacts/${Number(c.id)}`, form, `/admin/contacts/${Number(c.id)}`);
}

/** The record_changes rows, oldest first. */
export const recordChanges = async (t: TestApp) => (await t.db("record_changes").orderBy("id")) as Row[];

const CHANGE_OBJECTION_LINK = /\/objections\/changes\/([A-Za-z0-9_-]+)/;

/** The objection token in the newest record-change notice queued to the address. */
export async function changeObjectionTokenTo(t: TestApp, recipient: string): Promise<string> {
  const notices = (await outboxTo(t, recipient)).filter((m) => m.template === "record-change");
  expect(notices, `a record-change notice to ${recipient}`).to.not.have.length(0);
  const match = CHANGE_OBJECTION_LINK.exec(await mailText(notices[notices.length - 1]!.message));
  expect(match, "an /objections/changes/<token> link in the notice").to.not.equal(null);
  return match![1]!;
}
