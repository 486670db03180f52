import { expect } from "chai";
import { signedIn } from "../support/sign-in.js";
import { useTestApp } from "../support/use-test-app.js";

describe("the page header", () => {
  const t = useTestApp({ once: true });

  it("shows a customer their name and username, never the desk's role words", async () => {
    for (const [username, role] of [["carol", "secondary"], ["ACM0001", "primary"]] as const) {
      const page = (await (await signedIn(t, username)).get("/").expect(200)).text;
      expect(page, username).to.include(`(${username})`).and.not.include(`, ${role})`);
    }
  });

  it("shows staff their role beside their username", async () => {
    expect((await (await signedIn(t, "alice")).get("/desk").expect(200)).text).to.include("(alice, agent)");
  });
});
