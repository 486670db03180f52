/** Logins as the database holds them and as the services see them act. */
import { expect } from "chai";
import type { Actor } from "../../src/shared/actor.js";
import type { Row } from "./rows.js";
import type { TestApp } from "./test-app.js";

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
