/**
 * Steps of the accounts tests that other features' tests take too: an admin changing a login's
 * address or a contact's phone through the console, and the record changes that leaves.
 */
import { createAccount, createLogin } from "../../src/accounts/index.js";
import { postForm } from "../support/forms.js";
import type { Agent } from "../support/http.js";
import type { Row } from "../support/rows.js";
import type { TestApp } from "../support/test-app.js";
import { actorFor, userRow } from "../support/users.js";

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

/** A second account, BET, with its primary BET0001 and a secondary erin (both with a password set directly). */
export async function addBetaAccount(t: TestApp): Promise<{ accountId: number; erinId: number; bet0001Id: number }> {
  const admin = await actorFor(t, "admin");
  const deps = { db: t.db, clock: t.clock, mailer: t.mailer };
  const account = await createAccount(deps, { code: "BET", name: "Beta Ltd" }, admin);
  if (!account.ok) throw new Error(JSON.stringify(account.problems));
  const ids: number[] = [];
  for (const [username, role, email] of [["BET0001", "primary", "primary@beta.example"], ["erin", "secondary", "erin@beta.example"]] as const) {
    const made = await createLogin(deps, { accountId: account.value, role, username, displayName: `Beta ${username}`, email, canOpenCases: role === "secondary" }, admin);
    if (!made.ok) throw new Error(JSON.stringify(made.problems));
    ids.push(made.value);
  }
  // Give them a password as if they had used their links, so a reset would have something to clear.
  const hash = (await userRow(t, "carol")).password_hash;
  await t.db("users").whereIn("id", ids).update({ password_hash: hash });
  return { accountId: account.value, bet0001Id: ids[0]!, erinId: ids[1]! };
}
