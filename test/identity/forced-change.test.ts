import { expect } from "chai";
import { hours } from "../../src/shared/clock.js";
import { browser } from "../support/http.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { postForm, csrfToken } from "../support/forms.js";
import { signIn, signInOk } from "../support/sign-in.js";
import { auditRows } from "../support/audit.js";
import { count } from "../support/rows.js";
import { userRow } from "../support/users.js";
import { useTestApp } from "../support/use-test-app.js";

const NEW_PASSWORD = "Gx8@pW3!mK7^qB2%";
const GATED = ["/", "/tickets", "/desk", "/admin", "/admin/accounts", "/account", "/account/users", "/account/key", "/account/security-questions"];

describe("forced password change", () => {
  const t = useTestApp();

  /** ACM0001 signs in with a temporary password (the demo one) that must be changed. */
  const mustChange = (expiresInMs: number) =>
    t.db("users").where({ username: "ACM0001" }).update({ must_change_password: true, temp_password_expires_at: new Date(t.clock.now().getTime() + expiresInMs) });

  it("sends a login that must change its password to the change page, and nowhere else, until it has changed it", async () => {
    await mustChange(hours(1));
    const agent = browser(t.app);
    const res = await signIn(agent, "ACM0001", DEMO_PASSWORD);
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal("/account/password");

    const page = await agent.get("/account/password").expect(200);
    expect(page.text).to.include("You signed in with a temporary password").and.include("Temporary password");
    // No link that would only bounce back here: no main navigation, no profile link; sign-out stays.
    const links = [...page.text.matchAll(/<a [^>]*href="([^"#]+)"/g)].map((m) => m[1]);
    expect(links.filter((href) => GATED.includes(href!)), "links to gated pages").to.deep.equal([]);
    expect(page.text).to.not.include('aria-label="Main"');
    expect(page.text).to.include('action="/logout"').and.include("you sign in again with your new password");

    for (const path of GATED) {
      const gated = await agent.get(path);
      expect(gated.status, path).to.equal(303);
      expect(gated.headers.location, path).to.equal("/account/password");
    }

    // A form elsewhere, even with a valid token, is turned back too, and does nothing.
    const logins = await count(t, "users");
    const post = await postForm(agent, "/account/users", { username: "sneaky", display_name: "Sneaky", email: "sneaky@acme.example" }, "/account/password");
    expect(post.status).to.equal(303);
    expect(post.headers.location).to.equal("/account/password");
    expect(await count(t, "users")).to.equal(logins);

    const _csrf = await csrfToken(agent, "/account/password");
    const changed = await agent.post("/account/password").type("form").send({ _csrf, current_password: DEMO_PASSWORD, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
    expect(changed.status, changed.text.slice(0, 2000)).to.equal(303);
    expect(changed.headers.location).to.equal("/login");

    const row = await userRow(t, "ACM0001");
    expect(Boolean(row.must_change_password)).to.equal(false);
    expect(row.temp_password_expires_at).to.equal(null);
    const audit = await auditRows(t, "password.changed");
    expect(audit).to.have.length(1);
    expect(audit[0]!.details.forced).to.equal(true);

    expect((await signIn(browser(t.app), "ACM0001", DEMO_PASSWORD)).status).to.equal(401);
    const again = browser(t.app);
    const signedIn = await signInOk(again, "ACM0001", NEW_PASSWORD);
    expect(signedIn.headers.location).to.equal("/");
    await again.get("/").expect(200);
    await again.get("/account/users").expect(200);
    await again.get("/account/key").expect(200);
  });

  it("still lets the login sign out", async () => {
    await mustChange(hours(1));
    const agent = browser(t.app);
    await signInOk(agent, "ACM0001", DEMO_PASSWORD);
    const _csrf = await csrfToken(agent, "/account/password");
    await agent.post("/logout").type("form").send({ _csrf }).expect(303).expect("location", "/login?signed_out=1");
    await agent.get("/account/password").expect(303).expect("location", "/login");
    expect(Boolean((await userRow(t, "ACM0001")).must_change_password)).to.equal(true);
  });

  it("keeps the gate for a bad change attempt", async () => {
    await mustChange(hours(1));
    const agent = browser(t.app);
    await signInOk(agent, "ACM0001", DEMO_PASSWORD);
    const _csrf = await csrfToken(agent, "/account/password");
    const weak = await agent.post("/account/password").type("form").send({ _csrf, current_password: DEMO_PASSWORD, new_password: "short", confirm_password: "short" });
    expect(weak.status).to.equal(400);
    expect(weak.text).to.include("Password must be at least 8 characters long.");
    await agent.get("/").expect(303).expect("location", "/account/password");
    expect(Boolean((await userRow(t, "ACM0001")).must_change_password)).to.equal(true);
  });

  it("does not sign in with an expired temporary password, and says to open a new request", async () => {
    await mustChange(-1000);
    const agent = browser(t.app);
    const res = await signIn(agent, "ACM0001", DEMO_PASSWORD);
    expect(res.status).to.equal(401);
    expect(res.text).to.include("Your temporary password has expired").and.include("open a new");
    await agent.get("/").expect(303).expect("location", "/login");
    await agent.get("/account/password").expect(303).expect("location", "/login");
    const refused = await auditRows(t, "sign_in.refused");
    expect(refused.map((r) => r.details.reason)).to.include("temporary_password_expired");
  });

  it("refuses a temporary password that expires while it waits unused", async () => {
    await mustChange(hours(1));
    t.clock.advance(hours(1) + 1000);
    const res = await signIn(browser(t.app), "ACM0001", DEMO_PASSWORD);
    expect(res.status).to.equal(401);
    expect(res.text).to.include("Your temporary password has expired");
  });
});
