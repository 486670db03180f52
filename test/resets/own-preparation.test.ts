import { expect } from "chai";
import { browser } from "../support/http.js";
import { changeContactPhone } from "../accounts/helpers.js";
import { addSecondAdmin, approve, callBack, deskPage, expectRefusedIn, openRequest } from "./helpers.js";
import { postForm } from "../support/forms.js";
import { signedIn } from "../support/sign-in.js";
import type { Row } from "../support/rows.js";
import { resetObjectionTokenFor } from "../support/links.js";
import { useTestApp } from "../support/use-test-app.js";

const NEW_NUMBER = "+442079460077";

/** Review of issue 10, finding 1d: who set a number does not confirm by calling it, and who prepared a request does not clear its objection. */
describe("primary reset: nobody vouches for their own preparation", () => {
  const t = useTestApp();

  const expectRefused = (step: () => Promise<{ status: number; text: string }>, status: number, reason: string) => expectRefusedIn(t, step, status, reason);
  const state = async (ticketId: number) => ((await t.db("reset_requests").where({ ticket_id: ticketId }).first("state")) as Row).state;
  const clear = (who: ReturnType<typeof browser>, ticketId: number) => postForm(who, `${deskPage(ticketId)}/objection/clear`, { note: "Reviewed with Paula." }, deskPage(ticketId));
  const objectToRequest = async () => {
    const token = await resetObjectionTokenFor(t, "primary@acme.example");
    expect((await postForm(browser(t.app), `/objections/${token}`, {}, `/objections/${token}`)).status).to.equal(200);
  };

  it("does not count a callback to a number changed within the window by the agent who then called it; another agent's call does", async () => {
    const admin = await signedIn(t, "admin");
    expect((await changeContactPhone(t, admin, "Paula Primary", NEW_NUMBER)).status).to.equal(303);
    const ticketId = await openRequest(t);
    expect((await callBack(t, admin, ticketId, "confirmed")).status).to.equal(303);
    const ada = await addSecondAdmin(t);
    await expectRefused(() => approve(ada, ticketId), 400, "The callback to Paula Primary does not count: admin changed that number within the last 7 days and then called it.");
    expect(await state(ticketId)).to.equal("pending");

    expect((await callBack(t, await signedIn(t, "bob"), ticketId, "confirmed")).status).to.equal(303);
    expect((await approve(ada, ticketId)).status).to.equal(303);
    expect(await state(ticketId)).to.equal("delivered");
  });

  it("refuses to let the admin who recorded a callback on the request clear its objection; another admin may", async () => {
    const ticketId = await openRequest(t);
    const admin = await signedIn(t, "admin");
    expect((await callBack(t, admin, ticketId, "confirmed")).status).to.equal(303);
    await objectToRequest();
    await expectRefused(() => clear(admin, ticketId), 400, "You recorded a callback on this request: another admin must review the objection.");
    expect((await clear(await addSecondAdmin(t), ticketId)).status).to.equal(303);
  });

  it("refuses to let an admin who made a recent record change clear the request's objection", async () => {
    const admin = await signedIn(t, "admin");
    expect((await changeContactPhone(t, admin, "Paula Primary", NEW_NUMBER)).status).to.equal(303);
    const ticketId = await openRequest(t);
    await objectToRequest();
    await expectRefused(() => clear(admin, ticketId), 400, "You changed the phone number of Paula Primary on the account&#39;s contacts within the last 7 days: another admin must review the objection.");
    expect((await t.db("reset_requests").where({ ticket_id: ticketId }).first("objection_cleared_by")) as Row).to.deep.equal({ objection_cleared_by: null });
  });
});
