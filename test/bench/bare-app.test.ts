import { expect } from "chai";
import request from "supertest";
import { bareApp } from "../../scripts/bench/bare-app.js";

/** The bench's baseline must keep rendering with the desk's views: when a layout local changes, it fails here, not in a bench run. */
describe("bench: the bare baseline page", () => {
  it("renders the queue's markup from memory with the desk's layout", async () => {
    const res = await request(bareApp()).get("/desk");
    expect(res.status, res.text.slice(0, 300)).to.equal(200);
    expect(res.text).to.include('<table class="queue">');
    expect(res.text.match(/<tr>/g)?.length ?? 0, "a header row and 50 ticket rows").to.be.at.least(51);
  });
});
