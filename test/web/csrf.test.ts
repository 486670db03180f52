import { expect } from "chai";
import { browser } from "../support/http.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { csrfToken } from "../support/forms.js";
import { signInOk } from "../support/sign-in.js";
import { count } from "../support/rows.js";
import { useTestApp } from "../support/use-test-app.js";

describe("CSRF protection", () => {
  const t = useTestApp({ once: true });

  const signIns = () => count(t, "audit_log", { action: "sign_in.succeeded" });

  for (const [label, token] of [
    ["without a token", undefined],
    ["with a wrong token", "forged-token-value"],
  ] as const) {
    it(`refuses a sign-in ${label} with 403 and signs nobody in`, async () => {
      const agent = browser(t.app);
      await agent.get("/login").expect(200);
      const before = await signIns();
      const body: Record<string, string> = { username: "alice", password: DEMO_PASSWORD };
      if (token) body._csrf = token;
      const res = await agent.post("/login").type("form").send(body).expect(403);
      expect(res.text).to.include("did not come from this site");
      expect(await signIns()).to.equal(before);
      await agent.get("/").expect(303).expect("location", "/login");
    });

    it(`refuses a sign-out ${label} with 403 and keeps the session`, async () => {
      const agent = browser(t.app);
      await signInOk(agent, "alice", DEMO_PASSWORD);
      const body: Record<string, string> = token ? { _csrf: token } : {};
      await agent.post("/logout").type("form").send(body).expect(403);
      await agent.get("/").expect(200);
    });
  }

  it("refuses another session's token", async () => {
    const mallory = browser(t.app);
    const stolen = await csrfToken(mallory);
    const victim = browser(t.app);
    await victim.get("/login").expect(200);
    await victim.post("/login").type("form").send({ _csrf: stolen, username: "alice", password: DEMO_PASSWORD }).expect(403);
  });

  it("puts the token in every form it renders", async () => {
    const agent = browser(t.app);
    const login = await agent.get("/login").expect(200);
    expect(login.text).to.match(/<form[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]{20,}">/);
    await signInOk(agent, "alice", DEMO_PASSWORD);
    const home = await agent.get("/").expect(200);
    // Every form that changes something (POST); GET filter forms carry no token, so it never reaches an address bar.
    const forms = home.text.match(/<form method="post"/g) ?? [];
    const tokens = home.text.match(/name="_csrf"/g) ?? [];
    expect(forms.length).to.be.greaterThan(0);
    expect(tokens.length).to.equal(forms.length);
  });
});
