import { expect } from "chai";
import type { Express } from "express";
import request from "supertest";
import type TestAgent from "supertest/lib/agent.js";

export type Agent = TestAgent;

/** A cookie-keeping client, like one browser. */
export const browser = (app: Express): Agent => request.agent(app);

/** The `_csrf` value of the first form on a page. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error("no _csrf field on the page");
  return match[1]!;
}

/** Fetches a page and returns the CSRF token of its form. */
export async function csrfToken(agent: Agent, path = "/login"): Promise<string> {
  const page = await agent.get(path).expect(200);
  return csrfFrom(page.text);
}

/** Signs the browser in through the real form; returns the response to the POST. */
export async function signIn(agent: Agent, username: string, password: string) {
  const _csrf = await csrfToken(agent);
  return agent.post("/login").type("form").send({ _csrf, username, password });
}

export async function signInOk(agent: Agent, username: string, password: string) {
  const res = await signIn(agent, username, password);
  expect(res.status, `sign-in of ${username}: ${res.text.slice(0, 300)}`).to.equal(303);
  return res;
}

/** The Set-Cookie line of the session cookie (named `__Host-vouchdesk` in production). */
export function sessionSetCookie(res: { headers: Record<string, unknown> }, name = "vouchdesk.sid"): string | undefined {
  const cookies = (res.headers["set-cookie"] as string[] | undefined) ?? [];
  return cookies.find((c) => c.startsWith(`${name}=`));
}

/** The session cookie's value as the browser holds it. */
export function sessionCookie(res: { headers: Record<string, unknown> }, name = "vouchdesk.sid"): string | undefined {
  return sessionSetCookie(res, name)?.split(";")[0];
}
