/**
 * Helpers of the two-step sign-in tests: enrolling an authenticator through the real pages and
 * computing its codes at the test clock's time, as the holder's phone would.
 */
import { expect } from "chai";
import { Secret, TOTP } from "otpauth";
import type { Agent } from "../support/http.js";
import type { TestApp } from "../support/test-app.js";
import { postForm, csrfToken } from "../support/forms.js";
import { signIn } from "../support/sign-in.js";

/** Awaits a response and checks its status (and, for a redirect, where to). */
export async function answered<R extends { status: number; text: string; headers: Record<string, string> }>(response: Promise<R>, status: number, location?: string): Promise<R> {
  const res = await response;
  expect(res.status, res.text.slice(0, 500)).to.equal(status);
  if (location !== undefined) expect(res.headers.location).to.equal(location);
  return res;
}

/** The authenticator app's code at the test clock, `steps` 30-second steps away. */
export const codeAt = (t: TestApp, secret: string, steps = 0): string =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: t.clock.now().getTime() + steps * 30_000 });

/** The secret as the enrolment page prints it (in groups, for typing). */
export function secretOn(html: string): string {
  const match = /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(html);
  expect(match, "the secret as text on the enrolment page").to.not.equal(null);
  return match![1]!.replace(/ /g, "");
}

/** The recovery codes on the page that shows them once. */
export const recoveryCodesOn = (html: string): string[] => [...html.matchAll(/<li><code>([a-z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]!);

/** Starts enrolment on the signed-in browser; returns the page and the secret it shows. */
export async function startEnrolment(agent: Agent) {
  await answered(postForm(agent, "/account/two-factor/totp", {}, "/account/two-factor"), 303, "/account/two-factor");
  const page = await agent.get("/account/two-factor").expect(200);
  return { page, secret: secretOn(page.text) };
}

/** Enrols an authenticator app for the signed-in browser; returns its secret and the recovery codes shown once. Moves the clock one step on, so the next code is fresh. */
export async function enrolTotp(t: TestApp, agent: Agent): Promise<{ secret: string; recoveryCodes: string[] }> {
  const { secret } = await startEnrolment(agent);
  const done = await answered(postForm(agent, "/account/two-factor/totp/confirm", { code: codeAt(t, secret) }, "/account/two-factor"), 200);
  const recoveryCodes = recoveryCodesOn(done.text);
  expect(recoveryCodes).to.have.length(10);
  t.clock.advance(30_000);
  return { secret, recoveryCodes };
}

/** The password step of a login with a factor: it leads to the second step, not in. */
export async function passwordStep(agent: Agent, username: string, password: string) {
  const res = await signIn(agent, username, password);
  expect(res.status, res.text.slice(0, 300)).to.equal(303);
  expect(res.headers.location).to.equal("/login/second-factor");
  return res;
}

/** Posts a code to the second step; returns the response. */
export async function secondStep(agent: Agent, code: string) {
  const _csrf = await csrfToken(agent, "/login/second-factor");
  return agent.post("/login/second-factor").type("form").send({ _csrf, code });
}
