import { expect } from "chai";
import { findTicketForUpdate, moveTicketTo, openTicketWith, recordOnTimeline } from "../../src/tickets/index.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { seedTicket, ticketRow, writeState } from "./helpers.js";
import { count, type Row } from "../support/rows.js";
import { userId } from "../support/users.js";

/** The steps a domain above tickets (resets) takes on a ticket it drives, in its own transaction. */
describe("ticket steps for a driving domain (openTicketWith, recordOnTimeline, moveTicketTo)", () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  const counted = async (status: string) => Number(((await t.db("ticket_status_counts").where({ status }).first()) as Row).n);

  it("opens a new ticket whose first public reply is the requester's message, with the status counts in step", async () => {
    const carol = await userId(t, "carol");
    const accountId = Number((await t.db("users").where({ id: carol }).first("account_id") as Row).account_id);
    const before = await counted("new");
    const id = await t.db.transaction((trx) => openTicketWith(trx, { accountId, requesterId: carol, type: "primary_reset", subject: "Reset", priority: "high" }, { authorId: carol, body: "I lost the primary's password." }, t.clock.now()));
    const row = await ticketRow(t, id);
    expect(row).to.include({ status: "new", type: "primary_reset", priority: "high", requester_id: carol });
    const events = (await t.db("ticket_events").where({ ticket_id: id })) as Row[];
    expect(events.map((e) => [e.kind, e.visibility, e.author_id, e.body])).to.deep.equal([["reply", "public", carol, "I lost the primary's password."]]);
    expect(await counted("new")).to.equal(before + 1);
  });

  it("adds a timeline entry and marks the ticket active", async () => {
    const id = await seedTicket(t, "carol", "Entry");
    t.clock.advance(60_000);
    await t.db.transaction((trx) => recordOnTimeline(trx, id, { authorId: null, kind: "system", internalText: "A desk line." }, t.clock.now()));
    expect(await count(t, "ticket_events", { ticket_id: id, kind: "system", body: "A desk line." })).to.equal(1);
    expect(new Date((await ticketRow(t, id)).updated_at as string).getTime()).to.equal(t.clock.now().getTime());
  });

  it("follows to the status asked, keeping the counts in step, and leaves a ticket already there alone", async () => {
    const id = await seedTicket(t, "carol", "Follow");
    const [news, opens] = [await counted("new"), await counted("open")];
    await t.db.transaction(async (trx) => moveTicketTo(trx, (await findTicketForUpdate(trx, id))!, "open", t.clock.now()));
    expect((await ticketRow(t, id)).status).to.equal("open");
    expect([await counted("new"), await counted("open")]).to.deep.equal([news - 1, opens + 1]);
    const state = await writeState(t);
    await t.db.transaction(async (trx) => moveTicketTo(trx, (await findTicketForUpdate(trx, id))!, "open", t.clock.now()));
    expect(await writeState(t)).to.deep.equal(state);
  });

  it("throws on a move the status table refuses, and the transaction it was in changes nothing", async () => {
    const id = await seedTicket(t, "carol", "Closed for good");
    await t.db.transaction(async (trx) => moveTicketTo(trx, (await findTicketForUpdate(trx, id))!, "closed", t.clock.now()));
    const state = await writeState(t);
    let thrown: unknown = null;
    try {
      await t.db.transaction(async (trx) => {
        await recordOnTimeline(trx, id, { authorId: null, kind: "system", publicText: "Written before the refused move." }, t.clock.now());
        await moveTicketTo(trx, (await findTicketForUpdate(trx, id))!, "open", t.clock.now());
      });
    } catch (err) {
      thrown = err;
    }
    expect(String(thrown)).to.include(`Ticket #${id} cannot follow to open: A closed ticket cannot change status`);
    expect(await writeState(t)).to.deep.equal(state);
  });
});
