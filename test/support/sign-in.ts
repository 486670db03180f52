/** Signing browsers in through the real sign-in form. */
import { expect } from "chai";
import { csrfToken } from "./forms.js";
import { browser, type Agent } from "./http.js";
import { DEMO_PASSWORD, type TestApp } from "./test-app.js";

/** Signs the browser in through the real form; returns the response to the POST. */
export async function signIn(agent: Agent, username: string, password: string) {
  const _csrf = await csrfToken(agent);
  return agent.post("/login").type("form").send({ _csrf, username, password });
}

/** {@link signIn} that must succeed (303). */
export async function signInOk(agent: Agent, username: string, password: string) {
  const res = await signIn(agent, username, password);
  expect(res.status, `sign-in of ${username}: ${res.text.slice(0, 300)}`).to.equal(303);
  return res;
}

/** A new browser signed in as one of the demo logins. */
export async function signedIn(t: TestApp, username: string, password = DEMO_PASSWORD): Promise<Agent> {
  const agent = browser(t.app);
  await signInOk(agent, username, password);
  return agent;
}

/** Signed-in browsers by username, each made once per test app and then reused. */
export function browsers(t: TestApp): (username: string) => Promise<Agent> {
  const made = new Map<string, Agent>();
  return async (username) => {
    let agent = made.get(username);
    if (!agent) {
      agent = await signedIn(t, username);
      made.set(username, agent);
    }
    return agent;
  };
}
