/**
 * Steps of the accounts tests that other features' tests take too: an admin changing a login's
 * address or a contact's phone through the console, and the record changes that leaves.
 */
import { postForm } from "../support/forms.js";
import type { Agent } from "../support/http.js";
import type { Row } from "../support/rows.js";
import type { TestApp } from "../support/test-app.js";
import { userRow } from "../support/users.js";

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
