import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { renderDeskTicket } from "./ticket-page.js";
import { deskTicket } from "../ticket-access.js";
import { flash } from "../flash.js";
import { requireAgent } from "../guards.js";
import { isRowId } from "../../shared/row-ids.js";
import type { Actor } from "../../shared/actor.js";
import type { Result } from "../../shared/problems.js";
import { actorOf } from "../request-meta.js";
import { parseForm } from "../validation.js";
import { lastFactorCheck, requireStepUp, type StepUpDeps } from "../step-up.js";
import { findTicket } from "../../tickets/index.js";
import { approveRequest, CALLBACK_OUTCOMES, clearObjection, recordCallback, rejectRequest, withdrawApproval, type ApprovalRefused, type DecisionDeps, type IssuedPassphrase } from "../../resets/index.js";

const callbackForm = z.object({
  contact_id: z.string({ error: "Choose the contact you called." }).refine(isRowId, "Choose the contact you called.").transform(Number),
  outcome: z.enum(CALLBACK_OUTCOMES, { error: "Choose the outcome of the call." }),
  notes: z.string().trim().max(2000, "Keep the notes under 2,000 characters.").optional().transform((v) => v || null),
});
const reasonForm = (missing: string) => z.object({ reason: z.string({ error: missing }).trim().min(1, missing).max(2000, "Keep the reason under 2,000 characters.") });
const clearForm = z.object({ note: z.string({ error: "Write what you reviewed." }).trim().min(1, "Write what you reviewed and why the objection is cleared.").max(2000, "Keep the note under 2,000 characters.") });

/**
 * A callback that issued a delivery passphrase answers with it, once, in this response only
 * (never a flash or the session, which live in the database), and never cached. Any other
 * callback goes back to the ticket. True when it answered.
 */
function showPassphrase(res: Response, ticketId: number, issued: IssuedPassphrase | null): boolean {
  if (!issued) return false;
  res.set("Cache-Control", "no-store");
  res.status(200).render("resets/passphrase", { title: "Read the delivery passphrase", ticketId, issued });
  return true;
}

/** The agent's steps on a primary reset ticket: callback, approve, reject, withdraw, clear an objection. */
export function resetDecisionRoutes(deps: DecisionDeps & StepUpDeps): Router {
  const router = Router();
  router.use("/desk/tickets/:id", ...requireAgent);
  // The decisions ask for the second factor again (step-up), then are repeated from the ticket; a callback does not.
  const decisions = ["approve", "reject", "withdraw", "objection/clear"].map((step) => `/desk/tickets/:id/${step}`);
  router.post(decisions, requireStepUp(deps, (req) => `/desk/tickets/${String(req.params.id)}`));

  const pageDeps = { db: deps.db, clock: deps.clock, mailer: deps.mailer, resetTwoPerson: deps.twoPerson, keylessDelivery: deps.keylessDelivery };

  /**
   * One step on the ticket: find it (its id parsed once, by the one path-id rule: 404 as on its
   * page), check the form, run the rule (a ticket that is not a reset request is a 404 from the
   * service), then either the ticket page again with each problem under the field it is about
   * and what was typed kept (400, nothing changed), or back to the ticket with a message.
   * Two forms have a `reason`: on the page it is the reject's or the withdraw's. `answer`, when
   * given, may answer a done step with a page of its own instead.
   */
  const step = <S extends z.ZodType, T>(
    path: string,
    schema: S,
    run: (ticketId: number, agent: Actor, data: z.infer<S>, req: Request) => Promise<Result<T> | ApprovalRefused>,
    doneText: string,
    answer?: (res: Response, ticketId: number, value: T) => boolean,
  ) =>
    router.post(`/desk/tickets/:id/${path}`, async (req, res) => {
      const ticket = await deskTicket(deps.db, req.params.id);
      const form = parseForm(schema, req.body);
      const result: Result<T> | ApprovalRefused = form.ok ? await run(ticket.id, actorOf(req), form.data, req) : { ok: false, problems: form.problems };
      if (!result.ok) {
        const keyOf = (field: string) => (field === "reason" ? `${path}-reason` : field);
        const onPage = (record: Record<string, unknown>) =>
          Object.fromEntries(Object.entries(record).filter(([field, v]) => field !== "_csrf" && typeof v === "string").map(([field, v]) => [keyOf(field), v as string]));
        // The ticket as it is now (a refused step changed nothing, but another agent's may have).
        const now = (await findTicket(deps.db, ticket.id)) ?? ticket;
        const verification = "verification" in result ? result.verification : undefined;
        return renderDeskTicket(pageDeps, req, res, now, 400, onPage(result.problems), onPage(req.body as Record<string, unknown>), verification);
      }
      if (answer?.(res, ticket.id, result.value)) return;
      flash(req, "success", doneText);
      res.redirect(303, `/desk/tickets/${ticket.id}`);
    });

  step(
    "callbacks",
    callbackForm,
    (id, agent, data) => recordCallback(deps, id, agent, { contactId: data.contact_id, outcome: data.outcome, notes: data.notes }),
    "Callback recorded.",
    showPassphrase,
  );
  step("approve", z.object({}), (id, agent, _data, req) => approveRequest(deps, id, agent, lastFactorCheck(req)), "Approved. The temporary password was sent, encrypted, to the primary login's registered address. Nobody at the desk can see it.");
  step("reject", reasonForm("Give the reason for rejecting."), (id, agent, data) => rejectRequest(deps, id, agent, data.reason), "Rejected. The requester and the primary login's address were told.");
  step(
    "withdraw",
    reasonForm("Give the reason for withdrawing."),
    (id, agent, data) => withdrawApproval(deps, id, agent, data.reason),
    "Withdrawn. The temporary password no longer works; the requester and the primary login's address were told.",
  );
  step("objection/clear", clearForm, (id, agent, data) => clearObjection(deps, id, agent, data.note), "Objection cleared.");

  return router;
}
