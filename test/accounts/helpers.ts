import type { Actor } from "../../src/shared/actor.js";
/**
 * Small helpers shared by the accounts and password tests (test/accounts/, test/auth/):
 * reading rows, audit entries and mailed set-password links back out of a real test app.
 */
import { expect } from "chai";
import { simpleParser } from "mailparser";
import { unsealWithDesk } from "../../src/platform/mail/pgp.js";
import { postForm } from "../support/forms.js";
import type { Agent } from "../support/http.js";
import type { TestApp } from "../support/test-app.js";

export type Row = Record<string, unknown>;

/** The users row of a login, read straight from the database. */
export async function userRow(t: TestApp, username: string): Promise<Row> {
  const row = (await t.db("users").whereRaw("lower(username) = ?", [username.toLowerCase()]).first()) as Row | undefined;
  expect(row, `login ${username}`).to.not.equal(undefined);
  return row!;
}

export const userId = async (t: TestApp, username: string) => Number((await userRow(t, username)).id);

/** A login as the services see it acting (shared/actor.ts), read from its row. */
export async function actorFor(t: TestApp, username: string): Promise<Actor> {
  const row = await userRow(t, username);
  return { id: Number(row.id), username, displayName: String(row.display_name), role: row.role as Actor["role"], accountId: row.account_id === null ? null : Number(row.account_id), ip: null };
}

export const asTime = (value: unknown): number | null => (value === null || value === undefined ? null : new Date(value as string | number | Date).getTime());

export interface AuditRow {
  seq: number;
  action: string;
  actor: string | null;
  actorId: number | null;
  ip: string | null;
  subject: string | null;
  details: Record<string, unknown>;
}

/** Audit entries in order, optionally only those of one action. */
export async function auditRows(t: TestApp, action?: string): Promise<AuditRow[]> {
  const query = t.db("audit_log").orderBy("seq");
  if (action) query.where({ action });
  const rows = (await query) as Row[];
  return rows.map((r) => ({
    seq: Number(r.seq),
    action: r.action as string,
    actor: (r.actor as string | null) ?? null,
    actorId: r.actor_id === null ? null : Number(r.actor_id),
    ip: (r.ip as string | null) ?? null,
    subject: (r.subject as string | null) ?? null,
    details: JSON.parse(r.details as string) as Record<string, unknown>,
  }));
}

export const auditActions = async (t: TestApp) => (await auditRows(t)).map((r) => r.action);

export async function count(t: TestApp, table: string, where: Row = {}): Promise<number> {
  const row = (await t.db(table).where(where).count({ n: "*" }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

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
