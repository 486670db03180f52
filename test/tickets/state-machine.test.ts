import { expect } from "chai";
import { changeStatus } from "../../src/tickets/ticket-service.js";
import { transitionProblem, TICKET_STATUSES, type TicketStatus } from "../../src/tickets/vocabulary.js";
import type { Agent } from "../support/http.js";
import type { TestApp } from "../support/test-app.js";
import { seedTicket, ticketRow, writeState } from "./helpers.js";
import { browsers } from "../support/sign-in.js";
import { postForm } from "../support/forms.js";
import { actorFor } from "../support/users.js";
import { count, type Row } from "../support/rows.js";
import { useTestApp } from "../support/use-test-app.js";

/** The status counts the queue header shows agree with the tickets themselves. */
async function expectCountsInStep(t: TestApp) {
  const kept = (await t.db("ticket_status_counts").select("status", "n")) as Row[];
  for (const row of kept) expect(Number(row.n), `count of ${row.status as string}`).to.equal(await count(t, "tickets", { status: row.status }));
}

describe("ticket state machine (POST /desk/tickets/:id/status)", () => {
  const t = useTestApp({ once: true });
  let alice: Agent;

  before(async () => {
    alice = await browsers(t)("alice");
  });

  /** A fresh ticket brought to `status` the legal way (every status is one move from new). */
  async function ticketIn(status: TicketStatus): Promise<number> {
    const id = await seedTicket(t, "carol", `Ticket starting ${status}`);
    if (status !== "new") {
      const result = await changeStatus({ db: t.db, clock: t.clock, mailer: t.mailer }, await actorFor(t, "alice"), id, status);
      expect(result).to.deep.equal({ ok: true, value: undefined });
    }
    return id;
  }

  for (const from of TICKET_STATUSES) {
    for (const to of TICKET_STATUSES) {
      const problem = transitionProblem(from, to);
      if (problem === null) {
        it(`moves ${from} → ${to}, with a public status event and an audit entry`, async () => {
          const id = await ticketIn(from);
          const [events, audits] = [await count(t, "ticket_events", { ticket_id: id }), await count(t, "audit_log", { action: "ticket.status_changed" })];
          t.clock.advance(1000);
          const res = await postForm(alice, `/desk/tickets/${id}/status`, { status: to }, `/desk/tickets/${id}`);
          expect(res.status, res.text.slice(0, 800)).to.equal(303);
          const row = await ticketRow(t, id);
          expect(row.status).to.equal(to);
          // Closing a resolved ticket keeps when it was resolved; reopening clears both times.
          expect(row.resolved_at !== null, "resolved_at").to.equal(to === "resolved" || (to === "closed" && from === "resolved"));
          expect(row.closed_at === null, "closed_at").to.equal(to !== "closed");
          expect(await count(t, "ticket_events", { ticket_id: id, kind: "status", visibility: "public" })).to.equal(from === "new" ? 1 : 2);
          expect(await count(t, "ticket_events", { ticket_id: id })).to.equal(events + 1);
          expect(await count(t, "audit_log", { action: "ticket.status_changed" })).to.equal(audits + 1);
          await expectCountsInStep(t);
        });
      } else {
        it(`refuses ${from} → ${to} with its reason and changes nothing`, async () => {
          const id = await ticketIn(from);
          const before = await writeState(t);
          const res = await postForm(alice, `/desk/tickets/${id}/status`, { status: to }, `/desk/tickets/${id}`);
          expect(res.status).to.equal(400);
          expect(res.text).to.include(problem);
          expect(await writeState(t)).to.deep.equal(before);
        });
      }
    }
  }

  it("names the reason for each kind of refusal", () => {
    expect(transitionProblem("closed", "open")).to.equal("A closed ticket cannot change status; open a new ticket instead.");
    expect(transitionProblem("resolved", "pending_customer")).to.equal("A ticket cannot go from resolved to waiting for customer.");
    expect(transitionProblem("open", "open")).to.equal("The ticket is already open.");
  });
});
