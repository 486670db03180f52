import { expect } from "chai";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { callBack, deskPage, expectRefusedIn, openRequest } from "./helpers.js";
import { csrfToken } from "../support/forms.js";
import { signedIn } from "../support/sign-in.js";

/**
 * A refused approval answers with the verification it checked: the facts are gathered once per
 * request, by the service, and the page shows that (issue 12). The observable is the database's
 * own traffic: every gathering of the facts reads the request's callbacks exactly once.
 */
describe("primary reset: a refused approval", () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  /** How many times `work` made the app read the `callbacks` table. */
  async function callbackReads(work: () => Promise<unknown>): Promise<number> {
    let reads = 0;
    const onQuery = (query: { sql: string }) => {
      if (/^select\b.*\bfrom\s+["`]?callbacks["`]?/i.test(query.sql)) reads += 1;
    };
    t.db.on("query", onQuery);
    try {
      await work();
    } finally {
      t.db.off("query", onQuery);
    }
    return reads;
  }

  it("gathers the verification facts once, and the page shows every unmet condition from them, nothing changed", async () => {
    const ticketId = await openRequest(t);
    const alice = await signedIn(t, "alice");
    await callBack(t, alice, ticketId, "confirmed");
    // alice recorded the confirming callback: two-person approval refuses her own approval.
    const _csrf = await csrfToken(alice, deskPage(ticketId));
    expect(await callbackReads(() => alice.get(deskPage(ticketId)).expect(200)), "a page view gathers them once").to.equal(1);

    let answer = { status: 0, text: "" };
    let reads = 0;
    const refusedApproval = async () => {
      reads = await callbackReads(async () => (answer = await alice.post(`${deskPage(ticketId)}/approve`).type("form").send({ _csrf })));
      return answer;
    };
    await expectRefusedIn(t, refusedApproval, 400, "You recorded the confirming callback: a second agent must approve.");
    expect(reads, "the refused approval and its page gather the facts once").to.equal(1);
    // The panel drew from those facts: the callback, its confirmation and the checklist are all on the page.
    expect(answer.text).to.include("Primary reset verification");
    expect(answer.text).to.include("Confirmed by Paula Primary.");
    expect(answer.text).to.match(/id="field-approve-problem"[^>]*>[^<]*The approver is not the agent who did the callback/);
  });

  it("parses the ticket id once, by the one rule: a malformed or out-of-range id is the same 404 for the page and for approval", async () => {
    const ticketId = await openRequest(t);
    const bob = await signedIn(t, "bob");
    const _csrf = await csrfToken(bob, deskPage(ticketId));
    for (const id of ["abc", "0", "1.5", "99999999999", "999999"]) {
      const page = await bob.get(`/desk/tickets/${id}`);
      const approval = await bob.post(`/desk/tickets/${id}/approve`).type("form").send({ _csrf });
      expect([page.status, approval.status], id).to.deep.equal([404, 404]);
      expect(approval.text, id).to.include("There is no ticket with that number.");
    }
    expect(await t.db("reset_requests").where({ ticket_id: ticketId }).first("state")).to.deep.equal({ state: "pending" });
  });
});
