/**
 * Passkeys over HTTP (issue 13 item 2), with the software authenticator of test/support answering
 * the desk's options as a browser would: registration (named, several, removed), the second step,
 * the sign-in alone and the step-up, and every refusal with its clear answer and nothing changed.
 * The ceremony in a real browser is test/e2e/passkeys.e2e.test.ts.
 */
import { expect } from "chai";
import { browser, sessionCookie, type Agent } from "../support/http.js";
import { csrfToken, postForm } from "../support/forms.js";
import { auditRows } from "../support/audit.js";
import { outboxTo } from "../support/mail.js";
import { count, type Row } from "../support/rows.js";
import { signInOk } from "../support/sign-in.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { useTestApp } from "../support/use-test-app.js";
import { userId, userRow } from "../support/users.js";
import type { SoftwareAuthenticator } from "../support/passkey-authenticator.js";
import { answered, passwordStep } from "./two-factor-helpers.js";
import { authenticatorFor, ceremonyOptions, postAnswer, registerFirstPasskey, registerPasskey, TWO_FACTOR } from "./passkey-helpers.js";

const NOT_VERIFIED = "The passkey could not be checked";
const NOT_READ = "The passkey&#39;s answer could not be read";
const NO_CHALLENGE = "This passkey request is over (it was used, or took longer than 5 minutes). Nothing was changed.";
const REFUSED = "That passkey was not accepted.";
const SIGN_IN_FAILED = "Sign-in with the passkey failed";
const SECOND_STEP = "/login/second-factor";

/** The answer with its response's transports replaced (what a crafted browser could post). */
function withTransports(answer: string, transports: unknown): string {
  const parsed = JSON.parse(answer) as { response: Record<string, unknown> };
  parsed.response.transports = transports;
  return JSON.stringify(parsed);
}

describe("passkeys (WebAuthn)", () => {
  // A step-up window longer than the 5 minutes of a challenge, so a challenge can go stale within it.
  const t = useTestApp({ env: { LOGIN_MAX_FAILURES: "3", STEP_UP_MINUTES: "10" } });

  async function signedInAs(username: string): Promise<Agent> {
    const agent = browser(t.app);
    await signInOk(agent, username, DEMO_PASSWORD);
    return agent;
  }
  const passkeyRows = async (username: string) => (await t.db("passkeys").where({ user_id: await userId(t, username) }).orderBy("id")) as Row[];
  const codeHashes = async (username: string) => ((await t.db("recovery_codes").where({ user_id: await userId(t, username) }).orderBy("id")) as Row[]).map((r) => r.code_hash);
  /** carol with one passkey, her first factor. */
  async function carolWithPasskey(): Promise<{ agent: Agent; authenticator: SoftwareAuthenticator }> {
    const agent = await signedInAs("carol");
    const authenticator = authenticatorFor(t);
    await registerFirstPasskey(agent, authenticator);
    return { agent, authenticator };
  }

  describe("registration", () => {
    it("stores a named passkey as the first factor: the recovery codes shown once, the audit, a notice, and the page lists it", async () => {
      const agent = await signedInAs("carol");
      const options = await ceremonyOptions<{ rp: { id: string }; authenticatorSelection: Record<string, string>; user: { name: string } }>(agent, `${TWO_FACTOR}/passkeys`, TWO_FACTOR);
      expect(options.rp.id).to.equal(new URL(t.config.baseUrl).hostname);
      expect(options.authenticatorSelection).to.include({ residentKey: "required", userVerification: "required" });
      expect(options.user.name).to.equal("carol");

      const page = await registerFirstPasskey(agent, authenticatorFor(t), "Work laptop");
      expect(page.text).to.include("your passkey");
      expect(await count(t, "recovery_codes", { user_id: await userId(t, "carol") })).to.equal(10);
      const [row, ...more] = await passkeyRows("carol");
      expect(more).to.have.length(0);
      expect(row).to.include({ name: "Work laptop", device_type: "singleDevice", transports: "internal" });
      expect(Number(row!.sign_count)).to.equal(0);
      expect((await auditRows(t, "second_factor.passkey_added"))[0]!.details).to.include({ name: "Work laptop", recoveryCodes: 10 });
      expect((await outboxTo(t, "carol@acme.example")).map((m) => m.subject)).to.include("A passkey was added to your Vouchdesk login");

      const listed = await agent.get(TWO_FACTOR).expect(200);
      expect(listed.text).to.include("<td>Work laptop</td>").and.include('aria-label="Remove the passkey Work laptop"');
      expect((await userRow(t, "carol")).session_epoch, "the login's other sessions end").to.not.equal(0);
    });

    it("refuses a garbage or forged answer with a 400 naming the problem, and stores nothing", async () => {
      const agent = await signedInAs("carol");
      const authenticator = authenticatorFor(t);
      const cases: [string, (o: { challenge: string; rp: { id: string } }) => string, string][] = [
        ["no answer", () => "", "The passkey&#39;s answer did not arrive."],
        ["not JSON", () => "{not json", NOT_READ],
        ["not a credential", () => JSON.stringify({ id: "x", type: "password" }), NOT_READ],
        ["another challenge", (o) => authenticator.register({ ...o, challenge: "c29tZS1vdGhlci1jaGFsbGVuZ2U" }), NOT_VERIFIED],
        ["another origin", (o) => authenticator.register(o, { origin: "https://phish.example" }), NOT_VERIFIED],
        ["another RP ID", (o) => authenticator.register({ ...o, rp: { id: "phish.example" } }), NOT_VERIFIED],
        ["no user verification", (o) => authenticator.register(o, { withoutUserVerification: true }), NOT_VERIFIED],
        ["transports that are not a list", (o) => withTransports(authenticator.register(o), "internal"), NOT_READ],
        ["a transport name of 250 characters", (o) => withTransports(authenticator.register(o), ["x".repeat(250)]), NOT_READ],
      ];
      for (const [what, answer, problem] of cases) {
        const options = await ceremonyOptions<{ challenge: string; rp: { id: string } }>(agent, `${TWO_FACTOR}/passkeys`, TWO_FACTOR);
        const refused = await answered(postAnswer(agent, `${TWO_FACTOR}/passkeys`, TWO_FACTOR, answer(options), { name: "Work laptop" }), 400);
        expect(refused.text, what).to.include(problem).and.include('id="field-passkey-problem"');
        expect(refused.text, `${what}: the typed name is kept`).to.include('value="Work laptop"');
      }
      expect(await passkeyRows("carol")).to.have.length(0);
      expect(await count(t, "recovery_codes")).to.equal(0);
      expect(await count(t, "outbox", { recipient: "carol@acme.example" })).to.equal(0);
    });

    it("a challenge serves one answer, within 5 minutes, of the ceremony it was issued for", async () => {
      const agent = await signedInAs("carol");
      const authenticator = authenticatorFor(t);
      // Never asked: no challenge.
      const unasked = await answered(postAnswer(agent, `${TWO_FACTOR}/passkeys`, TWO_FACTOR, authenticator.register({ challenge: "AAAA", rp: { id: "localhost" } }), { name: "Key" }), 400);
      expect(unasked.text).to.include(NO_CHALLENGE);
      // Too old.
      const stale = await ceremonyOptions<{ challenge: string; rp: { id: string } }>(agent, `${TWO_FACTOR}/passkeys`, TWO_FACTOR);
      t.clock.advance(5 * 60_000 + 1000);
      expect((await answered(postAnswer(agent, `${TWO_FACTOR}/passkeys`, TWO_FACTOR, authenticator.register(stale), { name: "Key" }), 400)).text).to.include(NO_CHALLENGE);
      expect(await passkeyRows("carol")).to.have.length(0);
      // Once: the same answer again finds no challenge.
      const options = await ceremonyOptions<{ challenge: string; rp: { id: string } }>(agent, `${TWO_FACTOR}/passkeys`, TWO_FACTOR);
      const answer = authenticator.register(options);
      await answered(postAnswer(agent, `${TWO_FACTOR}/passkeys`, TWO_FACTOR, answer, { name: "Key" }), 200);
      expect((await answered(postAnswer(agent, `${TWO_FACTOR}/passkeys`, TWO_FACTOR, answer, { name: "Key" }), 400)).text).to.include(NO_CHALLENGE);
      // Another ceremony's challenge (a step-up's) does not serve a registration.
      const stepUp = await ceremonyOptions<{ challenge: string; rpId: string }>(agent, "/confirm-identity/passkey", "/confirm-identity");
      const cross = authenticatorFor(t).register({ challenge: stepUp.challenge, rp: { id: stepUp.rpId } });
      expect((await answered(postAnswer(agent, `${TWO_FACTOR}/passkeys`, TWO_FACTOR, cross, { name: "Other" }), 400)).text).to.include(NO_CHALLENGE);
      expect(await passkeyRows("carol")).to.have.length(1);
    });

    it("adds the first factor only within STEP_UP_MINUTES of the sign-in: a session left open longer (or a stolen cookie) adds nothing", async () => {
      const agent = await signedInAs("carol");
      const options = await ceremonyOptions<{ challenge: string; rp: { id: string } }>(agent, `${TWO_FACTOR}/passkeys`, TWO_FACTOR);
      t.clock.advance(t.config.stepUpMs + 1000);
      const answer = authenticatorFor(t).register(options);
      await answered(postAnswer(agent, `${TWO_FACTOR}/passkeys`, TWO_FACTOR, answer, { name: "Mine now" }), 303, TWO_FACTOR);
      expect((await agent.get(TWO_FACTOR).expect(200)).text).to.include("two-step sign-in is first set up within 10 minutes of signing in");
      const _csrf = await csrfToken(agent, TWO_FACTOR);
      const late = await agent.post(`${TWO_FACTOR}/passkeys/options`).type("form").send({ _csrf }).expect(403);
      expect((late.body as { error: string }).error).to.include("Sign out, sign in again");
      await answered(postForm(agent, `${TWO_FACTOR}/totp`, {}, TWO_FACTOR), 303, TWO_FACTOR);
      expect(await passkeyRows("carol")).to.have.length(0);
      expect(await count(t, "totp_factors")).to.equal(0);
      expect(await count(t, "recovery_codes")).to.equal(0);
      // Signed in again, it goes.
      await registerFirstPasskey(await signedInAs("carol"), authenticatorFor(t));
    });

    it("names a passkey: one is needed, of at most 64 characters; nothing is stored otherwise", async () => {
      const agent = await signedInAs("carol");
      for (const [name, problem] of [
        ["   ", "Give the passkey a name, so you can tell it from others"],
        ["x".repeat(65), "Keep the name to 64 characters."],
      ] as const) {
        const refused = await answered(registerPasskey(agent, authenticatorFor(t), name), 400);
        expect(refused.text).to.include(problem).and.include('id="field-name-problem"');
      }
      expect(await passkeyRows("carol")).to.have.length(0);
      // A name is the holder's text: shown escaped.
      await registerFirstPasskey(agent, authenticatorFor(t), "<b>Phone</b>");
      expect((await agent.get(TWO_FACTOR).expect(200)).text).to.include("&lt;b&gt;Phone&lt;/b&gt;").and.not.include("<b>Phone</b>");
    });

    it("a second passkey needs a fresh check: asked first, refused with nothing stored without it; within the window it is added and the codes stay", async () => {
      const { agent, authenticator } = await carolWithPasskey();
      const codes = await codeHashes("carol");
      t.clock.advance(t.config.stepUpMs + 1000);
      const _csrf = await csrfToken(agent, TWO_FACTOR);
      const asked = await agent.post(`${TWO_FACTOR}/passkeys/options`).type("form").send({ _csrf }).expect(403);
      expect(asked.body).to.deep.include({ stepUp: "/confirm-identity?return_to=%2Faccount%2Ftwo-factor" });
      const refused = await answered(postAnswer(agent, `${TWO_FACTOR}/passkeys`, TWO_FACTOR, "{}", { name: "Phone" }), 403);
      expect(refused.text).to.include("Confirm it is you").and.include("Nothing was changed.");
      expect(await passkeyRows("carol")).to.have.length(1);

      await stepUpWithPasskey(agent, authenticator);
      await answered(registerPasskey(agent, authenticatorFor(t), "Phone"), 303, TWO_FACTOR);
      expect((await passkeyRows("carol")).map((r) => r.name)).to.deep.equal(["Work laptop", "Phone"]);
      expect(await codeHashes("carol"), "the recovery codes stay").to.deep.equal(codes);
    });
  });

  /** A step-up with the passkey on /confirm-identity; must send the browser back to `back`. */
  async function stepUpWithPasskey(agent: Agent, authenticator: SoftwareAuthenticator, back = TWO_FACTOR) {
    const options = await ceremonyOptions<{ challenge: string; rpId: string }>(agent, "/confirm-identity/passkey", `/confirm-identity?return_to=${encodeURIComponent(back)}`);
    return answered(postAnswer(agent, "/confirm-identity/passkey", "/confirm-identity", authenticator.assert(options), { return_to: back }), 303, back);
  }

  describe("removal", () => {
    it("removes one's own passkey after a fresh check (the last one with the recovery codes); another login's is a 404 and stays", async () => {
      const { agent: carol, authenticator } = await carolWithPasskey();
      const [carolsKey] = await passkeyRows("carol");
      const bob = await signedInAs("bob");
      await registerFirstPasskey(bob, authenticatorFor(t), "Bob's key");
      for (const id of [String(carolsKey!.id), "abc", "0"]) {
        await answered(postForm(bob, `${TWO_FACTOR}/passkeys/${id}/remove`, {}, TWO_FACTOR), 404);
      }
      expect(await passkeyRows("carol")).to.have.length(1);

      t.clock.advance(t.config.stepUpMs + 1000);
      const stale = await answered(postForm(carol, `${TWO_FACTOR}/passkeys/${String(carolsKey!.id)}/remove`, {}, TWO_FACTOR), 403);
      expect(stale.text).to.include("Confirm it is you").and.include("Use a passkey");
      expect(await passkeyRows("carol")).to.have.length(1);

      await stepUpWithPasskey(carol, authenticator);
      expect((await auditRows(t, "step_up.confirmed")).at(-1)!.details).to.include({ method: "passkey" });
      await answered(postForm(carol, `${TWO_FACTOR}/passkeys/${String(carolsKey!.id)}/remove`, {}, TWO_FACTOR), 303, TWO_FACTOR);
      expect(await passkeyRows("carol")).to.have.length(0);
      expect(await count(t, "recovery_codes", { user_id: await userId(t, "carol") }), "the codes go with the last factor").to.equal(0);
      expect((await auditRows(t, "second_factor.passkey_removed"))[0]!.details).to.include({ passkey: Number(carolsKey!.id), recoveryCodesRemoved: 10 });
      expect((await outboxTo(t, "carol@acme.example")).map((m) => m.subject)).to.include("A passkey was removed from your Vouchdesk login");
      // The session goes on, and sign-in asks only the password again.
      await carol.get(TWO_FACTOR).expect(200);
      const again = await signInOk(browser(t.app), "carol", DEMO_PASSWORD);
      expect(again.headers.location).to.equal("/");
    });
  });

  describe("pages without JavaScript", () => {
    it("say that passkeys need it and what works instead; the browser half is served from the desk with no inline script", async () => {
      const anonymous = browser(t.app);
      const login = await anonymous.get("/login").expect(200);
      expect(login.text).to.include("<noscript>").and.include("Passkeys need JavaScript").and.match(/<form method="post" action="\/login\/passkey"[^>]* hidden/);
      const carol = await signedInAs("carol");
      const page = await carol.get(TWO_FACTOR).expect(200);
      expect(page.text).to.include("Passkeys need JavaScript, which is off in this browser. The authenticator app above works without it.");
      expect(page.text).to.match(/<form method="post" action="\/account\/two-factor\/passkeys" data-passkey="register"[^>]* hidden/);
      expect(page.text).to.include('<script src="/assets/simplewebauthn-browser.js" defer></script>').and.include('<script src="/js/passkeys.js" defer></script>');
      expect(page.text).to.not.match(/<script(?![^>]*\ssrc="\/)/);
      const library = await anonymous.get("/assets/simplewebauthn-browser.js").expect(200);
      expect(library.headers["content-type"]).to.match(/^text\/javascript/);
      expect(library.text).to.include("SimpleWebAuthnBrowser");
      await anonymous.get("/js/passkeys.js").expect(200).expect("Content-Type", /javascript/);
    });
  });

  describe("the second step", () => {
    it("a login with only a passkey is asked the second step after its password, and the passkey signs it in", async () => {
      const { authenticator } = await carolWithPasskey();
      const agent = browser(t.app);
      await passwordStep(agent, "carol", DEMO_PASSWORD);
      const step = await agent.get(SECOND_STEP).expect(200);
      expect(step.text).to.include("Use a passkey").and.include('action="/login/second-factor/passkey"');
      await agent.get("/").expect(303).expect("Location", SECOND_STEP);

      const options = await ceremonyOptions<{ challenge: string; rpId: string; allowCredentials: { id: string }[]; userVerification: string }>(agent, `${SECOND_STEP}/passkey`, SECOND_STEP);
      expect(options.allowCredentials.map((c) => c.id)).to.deep.equal([authenticator.id]);
      await answered(postAnswer(agent, `${SECOND_STEP}/passkey`, SECOND_STEP, authenticator.assert(options)), 303, "/");
      await agent.get("/").expect(200);
      expect((await auditRows(t, "sign_in.succeeded")).at(-1)!.details).to.include({ secondFactor: "passkey" });
      const [row] = await passkeyRows("carol");
      expect(Number(row!.sign_count)).to.equal(1);
      expect(row!.last_used_at).to.not.equal(null);
    });

    it("a refused assertion counts toward the lockout like a wrong code, and a garbage one is a 400 that signs nobody in", async () => {
      const { authenticator } = await carolWithPasskey();
      const agent = browser(t.app);
      await passwordStep(agent, "carol", DEMO_PASSWORD);
      const garbage = await answered(postAnswer(agent, `${SECOND_STEP}/passkey`, SECOND_STEP, "[]"), 400);
      expect(garbage.text).to.include(NOT_READ);
      for (const n of [1, 2]) {
        const options = await ceremonyOptions<{ challenge: string; rpId: string }>(agent, `${SECOND_STEP}/passkey`, SECOND_STEP);
        // Signed over another challenge: what a replayed or forged answer looks like.
        const refused = await answered(postAnswer(agent, `${SECOND_STEP}/passkey`, SECOND_STEP, authenticator.assert({ ...options, challenge: "b3RoZXI" })), 401);
        expect(refused.text).to.include(REFUSED);
        expect(Number((await userRow(t, "carol")).failed_sign_ins)).to.equal(n);
      }
      expect((await auditRows(t, "sign_in.failed")).at(-1)!.details).to.include({ reason: "wrong_second_factor_passkey" });
      const options = await ceremonyOptions<{ challenge: string; rpId: string }>(agent, `${SECOND_STEP}/passkey`, SECOND_STEP);
      await answered(postAnswer(agent, `${SECOND_STEP}/passkey`, SECOND_STEP, authenticator.assert({ ...options, challenge: "b3RoZXI" })), 303, "/login");
      expect((await userRow(t, "carol")).locked_until).to.not.equal(null);
      await agent.get("/").expect(303).expect("Location", "/login");
    });
  });

  describe("sign-in with a passkey alone", () => {
    async function signInAlone(agent: Agent, authenticator: SoftwareAuthenticator, tweaks: Parameters<SoftwareAuthenticator["assert"]>[1] = {}) {
      const options = await ceremonyOptions<{ challenge: string; rpId: string; allowCredentials?: unknown[]; userVerification: string }>(agent, "/login/passkey", "/login");
      expect(options.userVerification).to.equal("required");
      expect(options.allowCredentials ?? [], "a discoverable credential: nobody is named").to.have.length(0);
      return postAnswer(agent, "/login/passkey", "/login", authenticator.assert(options, tweaks));
    }

    it("signs in with user verification, in a new session, audited with the method", async () => {
      const { authenticator } = await carolWithPasskey();
      const agent = browser(t.app);
      const before = sessionCookie(await agent.get("/login").expect(200));
      const signedIn = await answered(signInAlone(agent, authenticator), 303, "/");
      expect(sessionCookie(signedIn), "the session is regenerated").to.not.equal(undefined).and.not.equal(before);
      const home = await agent.get("/").expect(200);
      expect(home.text).to.include("Carol");
      expect((await auditRows(t, "sign_in.succeeded")).at(-1)).to.deep.include({ actor: "carol", details: { method: "passkey" } });
    });

    it("refuses an assertion without user verification, an unknown passkey and a counter that went back: 401, nobody signed in, each counted", async () => {
      const { authenticator } = await carolWithPasskey();
      const noUv = browser(t.app);
      expect((await answered(signInAlone(noUv, authenticator, { withoutUserVerification: true }), 401)).text).to.include(SIGN_IN_FAILED);
      await noUv.get("/").expect(303).expect("Location", "/login");
      expect(Number((await userRow(t, "carol")).failed_sign_ins)).to.equal(1);

      await answered(signInAlone(browser(t.app), authenticatorFor(t)), 401);
      expect((await auditRows(t, "sign_in.failed")).at(-1)!.details).to.include({ reason: "unknown_passkey", method: "passkey" });

      await answered(signInAlone(browser(t.app), authenticator), 303, "/");
      const used = Number((await passkeyRows("carol"))[0]!.sign_count);
      const cloned = browser(t.app);
      await answered(signInAlone(cloned, authenticator, { signCount: used }), 401);
      await cloned.get("/").expect(303).expect("Location", "/login");
      expect((await auditRows(t, "second_factor.passkey_counter_refused")).map((r) => r.subject)).to.deep.equal([`user:${await userId(t, "carol")}`]);
      expect(Number((await passkeyRows("carol"))[0]!.sign_count), "the counter stays").to.equal(used);
    });

    it("has the checks of a password sign-in: a disabled login, a suspended account and a locked login are refused; a forced password change still applies", async () => {
      const { authenticator } = await carolWithPasskey();
      const carol = await userRow(t, "carol");
      await t.db("users").where({ id: carol.id }).update({ disabled_at: t.clock.now() });
      expect((await answered(signInAlone(browser(t.app), authenticator), 401)).text).to.include(SIGN_IN_FAILED);
      await t.db("users").where({ id: carol.id }).update({ disabled_at: null });
      await t.db("accounts").where({ id: carol.account_id }).update({ status: "suspended" });
      await answered(signInAlone(browser(t.app), authenticator), 401);
      await t.db("accounts").where({ id: carol.account_id }).update({ status: "active" });
      expect((await auditRows(t, "sign_in.refused")).map((r) => r.details.reason)).to.include.members(["login_disabled", "account_suspended"]);

      await t.db("users").where({ id: carol.id }).update({ locked_until: new Date(t.clock.now().getTime() + 60_000), failed_sign_ins: 3 });
      await answered(signInAlone(browser(t.app), authenticator), 401);
      await t.db("users").where({ id: carol.id }).update({ locked_until: null, failed_sign_ins: 0 });

      // A password the desk cleared (the primary holder reset it): the passkey stops too, until a new password is set by the link.
      const primary = await signedInAs("ACM0001");
      await answered(postForm(primary, `/account/users/${String(carol.id)}/reset`, { confirm: "yes" }, "/account/users"), 303, "/account/users");
      expect((await answered(signInAlone(browser(t.app), authenticator), 401)).text).to.include(SIGN_IN_FAILED);
      expect((await auditRows(t, "sign_in.refused")).at(-1)!.details).to.include({ reason: "password_cleared", method: "passkey" });
      await t.db("users").where({ id: carol.id }).update({ password_hash: String(carol.password_hash), failed_sign_ins: 0 });

      await t.db("users").where({ id: carol.id }).update({ must_change_password: true });
      const forced = browser(t.app);
      await answered(signInAlone(forced, authenticator), 303, "/account/password");
      await forced.get("/tickets").expect(303).expect("Location", "/account/password");
    });
  });
});
