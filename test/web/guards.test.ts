import { expect } from "chai";
import { ownedByAccount } from "../../src/web/guards.js";
import { browser } from "../support/http.js";
import { signedIn } from "../support/sign-in.js";
import { useTestApp } from "../support/use-test-app.js";

describe("role guards", () => {
  const t = useTestApp({ once: true });

  const as = (username: string) => signedIn(t, username);

  for (const customer of ["ACM0001", "carol", "dave"]) {
    it(`gives the customer ${customer} 403 on /desk and /admin`, async () => {
      const agent = await as(customer);
      const desk = await agent.get("/desk").expect(403);
      expect(desk.text).to.include("does not have access");
      await agent.get("/admin").expect(403);
    });
  }

  it("lets an agent into /desk but not /admin", async () => {
    const agent = await as("alice");
    await agent.get("/desk").expect(200);
    await agent.get("/admin").expect(403);
  });

  it("lets an admin into /desk and /admin", async () => {
    const agent = await as("admin");
    await agent.get("/desk").expect(200);
    await agent.get("/admin").expect(200);
  });

  it("sends someone not signed in to the sign-in page", async () => {
    for (const path of ["/", "/desk", "/admin"]) {
      await browser(t.app).get(path).expect(303).expect("location", "/login");
    }
  });

  it("shows each role its own navigation", async () => {
    const admin = await (await as("admin")).get("/").expect(200);
    expect(admin.text).to.include('href="/admin/accounts"').and.include('href="/admin/mail"');
    const agent = await (await as("alice")).get("/").expect(200);
    expect(agent.text).to.include('href="/desk"').and.not.include('href="/admin');
    const customer = await (await as("carol")).get("/").expect(200);
    expect(customer.text).to.include("My tickets").and.not.include('href="/desk"').and.not.include('href="/admin');
  });
});

describe("account ownership", () => {
  const customer = (accountId: number) => ({ id: 5, accountId, username: "carol", role: "secondary" as const, displayName: "C", email: null, mustChangePassword: false, canOpenCases: true, hasActiveFactor: false, timeZone: null });
  const agent = { ...customer(0), accountId: null, role: "agent" as const };
  const status = (fn: () => unknown) => {
    try {
      fn();
      return 200;
    } catch (e) {
      return (e as { status: number }).status;
    }
  };

  it("returns the object to a customer of the same account", () => {
    const ticket = { accountId: 1, id: 9 };
    expect(ownedByAccount(customer(1), ticket)).to.equal(ticket);
  });

  it("answers 404 for another account's object, or none, so existence does not leak", () => {
    expect(status(() => ownedByAccount(customer(1), { accountId: 2 }))).to.equal(404);
    expect(status(() => ownedByAccount(customer(1), null))).to.equal(404);
    expect(status(() => ownedByAccount(customer(1), { accountId: null }))).to.equal(404);
  });

  it("lets staff see any account's object", () => {
    expect(status(() => ownedByAccount(agent, { accountId: 2 }))).to.equal(200);
  });
});
