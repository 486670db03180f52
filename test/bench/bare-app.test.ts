import { expect } from "chai";
import request from "supertest";
import { BARE_STACK_PATH, bareApp, bareStackRoutes } from "../../scripts/bench/bare-app.js";
import { browser } from "../support/http.js";
import { signedIn } from "../support/sign-in.js";
import { useTestApp } from "../support/use-test-app.js";

/** The bench's baseline must keep rendering with the desk's views: when a layout local changes, it fails here, not in a bench run. */
describe("bench: the bare baseline page", () => {
  it("renders the queue's markup from memory with the desk's layout", async () => {
    const res = await request(bareApp()).get("/desk");
    expect(res.status, res.text.slice(0, 300)).to.equal(200);
    expect(res.text).to.include('<table class="queue">');
    expect(res.text.match(/<tr>/g)?.length ?? 0, "a header row and 50 ticket rows").to.be.at.least(51);
  });
});

describe("bench: the bare-stack page behind the app's middleware", () => {
  const t = useTestApp({ once: true, extraRoutes: bareStackRoutes() });

  it("renders the same rows in the layout for the signed-in agent, with the stack's headers and CSRF token", async () => {
    const agent = await signedIn(t, "alice");
    const res = await agent.get(BARE_STACK_PATH);
    expect(res.status, res.text.slice(0, 300)).to.equal(200);
    expect(res.text).to.include('<table class="queue">');
    expect(res.text.match(/<tr>/g)?.length ?? 0, "a header row and 50 ticket rows").to.be.at.least(51);
    // The layout's signed-in nav names the agent from the session, and forms carry the stack's own token.
    expect(res.text).to.include("Alice Agent");
    expect(res.text).to.match(/name="_csrf" value="[A-Za-z0-9_-]{20,}"/);
    expect(res.text).not.to.include("c".repeat(43));
    expect(res.headers["content-security-policy"], "security headers").to.be.a("string");
  });

  it("sends a visitor with no session to the sign-in page, as the desk does", async () => {
    const res = await browser(t.app).get(BARE_STACK_PATH);
    const desk = await browser(t.app).get("/desk");
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal("/login");
    expect([desk.status, desk.headers.location]).to.deep.equal([res.status, res.headers.location]);
  });

  it("refuses a signed-in customer, as the desk does", async () => {
    const agent = await signedIn(t, "carol");
    const res = await agent.get(BARE_STACK_PATH);
    expect(res.status).to.equal(403);
    expect(res.text).not.to.include('<table class="queue">');
    expect((await agent.get("/desk")).status).to.equal(403);
  });
});
