/**
 * Helpers of the passkey tests: the browser half's two requests (the ceremony's options, then
 * the form with the answer), driven by the software authenticator of test/support.
 */
import { expect } from "chai";
import type { Agent } from "../support/http.js";
import { csrfToken } from "../support/forms.js";
import { SoftwareAuthenticator } from "../support/passkey-authenticator.js";
import type { TestApp } from "../support/test-app.js";
import { answered } from "./two-factor-helpers.js";

export const TWO_FACTOR = "/account/two-factor";

/** A new authenticator answering for this desk's origin (BASE_URL). */
export const authenticatorFor = (t: TestApp) => new SoftwareAuthenticator(t.config.baseUrl);

/** What the browser half does on pressing a passkey button: asks `action`/options with the page's CSRF token. */
export async function ceremonyOptions<T = { challenge: string; rp: { id: string }; rpId: string }>(agent: Agent, action: string, page: string): Promise<T> {
  const _csrf = await csrfToken(agent, page);
  const res = await agent.post(`${action}/options`).type("form").send({ _csrf });
  expect(res.status, res.text.slice(0, 300)).to.equal(200);
  expect(res.headers["cache-control"]).to.equal("no-store");
  return res.body as T;
}

/** Posts the ceremony's answer (`credential`) with the other fields, as the browser half's form.submit() does. */
export async function postAnswer(agent: Agent, action: string, page: string, credential: string, fields: Record<string, string> = {}) {
  const _csrf = await csrfToken(agent, page);
  return agent.post(action).type("form").send({ _csrf, credential, ...fields });
}

/** Registers the authenticator's passkey under `name` for the signed-in browser; returns the answer page (the recovery codes when it is the first factor). */
export async function registerPasskey(agent: Agent, authenticator: SoftwareAuthenticator, name = "Work laptop") {
  const options = await ceremonyOptions(agent, `${TWO_FACTOR}/passkeys`, TWO_FACTOR);
  return postAnswer(agent, `${TWO_FACTOR}/passkeys`, TWO_FACTOR, authenticator.register(options), { name });
}

/** {@link registerPasskey} that must store the login's first factor: the codes page, shown once. */
export async function registerFirstPasskey(agent: Agent, authenticator: SoftwareAuthenticator, name = "Work laptop") {
  const page = await answered(registerPasskey(agent, authenticator, name), 200);
  expect(page.text).to.include("Your recovery codes");
  return page;
}
