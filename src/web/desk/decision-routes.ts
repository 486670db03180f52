import { Router, type Request } from "express";
import { z } from "zod";
import { renderDeskTicket } from "./ticket-page.js";
import { deskTicket } from "../ticket-access.js";
import { flash } from "../flash.js";
import { requireAgent } from "../guards.js";
import { isRowId } from "../../shared/row-ids.js";
import { notFound } from "../errors.js";
import type { Problems } from "../../shared/problems.js";
import { parseForm } from "../validation.js";
import { approveRequest, CALLBACK_OUTCOMES, clearObjection, recordCallback, rejectRequest, withdrawApproval, type Agent, type DecisionDeps } from "../../resets/index.js";

const callbackForm = z.object({
  contact_id: z.string({ error: "Choose the contact you called." }).refine(isRowId, "Choose the contact you called.").transform(Number),
  outcome: z.enum(CALLBACK_OUTCOMES, { error: "Choose the outcome of the call." }),
  notes: z.string().trim().max(2000, "Keep the notes under 2,000 characters.").optional().transform((v) => v || null),
});
const reasonForm = (missing: string) => z.object({ reason: z.string({ error: missing }).trim().min(1, missing).max(2000, "Keep the reason under 2,000 characters.") });
const clearForm = z.object({ note: z.string({ error: "Write what you reviewed." }).trim().min(1, "Write what you reviewed and why the objection is cleared.").max(2000, "Keep the note under 2,000 characters.") });

/** The agent's steps on a primary reset ticket: callback, approve, reject, withdraw, clear an objection. */
export function resetDecisionRoutes(deps: DecisionDeps): Router {
  const router = Router();
  router.use("/desk/tickets/:id", ...requireAgent);

  const pageDeps = { db: deps.db, clock: deps.clock, resetTwoPerson: deps.twoPerson };
  const agentOf = (req: Request): Agent => ({ id: req.user!.id, username: req.user!.username, role: req.user!.role, ip: req.ip ?? null });

  /**
   * One step on the ticket: find it (404 as on its page), check the form, run the rule (null:
   * the ticket is not a reset request, 404), then either the ticket page again with each problem under the field it is
   * about and what was typed kept (400, nothing changed), or back to the ticket with a message.
   * Two forms have a `reason`: on the page it is the reject's or the withdraw's.
   */
  const step = <S extends z.ZodType>(path: string, schema: S, run: (ticketId: number, agent: Agent, data: z.infer<S>) => Promise<Problems | null>, doneText: string) =>
    router.post(`/desk/tickets/:id/${path}`, async (req, res) => {
      const ticketId = (await deskTicket(deps.db, req.params.id)).id;
      const form = parseForm(schema, req.body);
      const problems = form.ok ? await run(ticketId, agentOf(req), form.data) : form.problems;
      if (problems === null) throw notFound();
      if (Object.keys(problems).length) {
        const keyOf = (field: string) => (field === "reason" ? `${path}-reason` : field);
        const onPage = (record: Record<string, unknown>) =>
          Object.fromEntries(Object.entries(record).filter(([field, v]) => field !== "_csrf" && typeof v === "string").map(([field, v]) => [keyOf(field), v as string]));
        return renderDeskTicket(pageDeps, req, res, await deskTicket(deps.db, String(ticketId)), 400, onPage(problems), onPage(req.body as Record<string, unknown>));
      }
      flash(req, "success", doneText);
      res.redirect(303, `/desk/tickets/${ticketId}`);
    });

  step(
    "callbacks",
    callbackForm,
    (id, agent, data) => recordCallback(deps, id, agent, { contactId: data.contact_id, outcome: data.outcome, notes: data.notes }),
    "Callback recorded.",
  );
  step(
    "approve",
    z.object({}),
    async (id, agent): Promise<Problems | null> => {
      const unmet = await approveRequest(deps, id, agent);
      return unmet && (unmet.length ? { approve: unmet.map((c) => `${c.label}: ${c.detail}`).join(" ") } : {});
    },
    "Approved. The temporary password was sent, encrypted, to the primary login's registered address. Nobody at the desk can see it.",
  );
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
