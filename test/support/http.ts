import type { Express } from "express";
import request from "supertest";
import type TestAgent from "supertest/lib/agent.js";

export type Agent = TestAgent;

/** A cookie-keeping client, like one browser. */
export const browser = (app: Express): Agent => request.agent(app);

/** The Set-Cookie line of the session cookie (named `__Host-vouchdesk` in production). */
export function sessionSetCookie(res: { headers: Record<string, unknown> }, name = "vouchdesk.sid"): string | undefined {
  const cookies = (res.headers["set-cookie"] as string[] | undefined) ?? [];
  return cookies.find((c) => c.startsWith(`${name}=`));
}

/** The session cookie's value as the browser holds it. */
export function sessionCookie(res: { headers: Record<string, unknown> }, name = "vouchdesk.sid"): string | undefined {
  return sessionSetCookie(res, name)?.split(";")[0];
}
