import { Router, type Request } from "express";
import { z } from "zod";
import { notFound } from "../web/errors.js";
import { flash } from "../web/flash.js";
import { requireAgent } from "../web/guards.js";
import { idParam } from "../web/request-meta.js";
import { isRowId, parseForm, type Problems } from "../web/validation.js";
import { approveRequest, clearObjection, recordCallback, rejectRequest, withdrawApproval, type Agent, type DecisionDeps } from "./decision-service.js";
import { CALLBACK_OUTCOMES } from "./reset-store.js";

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

  const agentOf = (req: Request): Agent => ({ id: req.user!.id, username: req.user!.username, role: req.user!.role, ip: req.ip ?? null });

  /**
   * One step on the ticket: check the form, run the rule (null: the ticket is not a reset
   * request, 404), then either every problem on a 400 page with nothing changed, or back to
   * the ticket with a message.
   */
  const step = <S extends z.ZodType>(path: string, schema: S, refusal: string, run: (ticketId: number, agent: Agent, data: z.infer<S>) => Promise<string[] | null>, doneText: string) =>
    router.post(`/desk/tickets/:id/${path}`, async (req, res) => {
      const ticketId = idParam(req.params.id);
      if (!ticketId) throw notFound();
      const form = parseForm(schema, req.body);
      const problems = form.ok ? await run(ticketId, agentOf(req), form.data) : Object.values(form.problems);
      if (problems === null) throw notFound();
      if (problems.length) return res.status(400).render("resets/decision-refused", { title: refusal, heading: refusal, ticketId, problems });
      flash(req, "success", doneText);
      res.redirect(303, `/desk/tickets/${ticketId}`);
    });

  const listed = (problems: Problems | null) => problems && Object.values(problems);

  step(
    "callbacks",
    callbackForm,
    "The callback was not recorded",
    async (id, agent, data) => listed(await recordCallback(deps, id, agent, { contactId: data.contact_id, outcome: data.outcome, notes: data.notes })),
    "Callback recorded.",
  );
  step(
    "approve",
    z.object({}),
    "The request was not approved",
    async (id, agent) => (await approveRequest(deps, id, agent))?.map((c) => `${c.label}: ${c.detail}`) ?? null,
    "Approved. The temporary password was sent, encrypted, to the primary login's registered address. Nobody at the desk can see it.",
  );
  step("reject", reasonForm("Give the reason for rejecting."), "The request was not rejected", async (id, agent, data) => listed(await rejectRequest(deps, id, agent, data.reason)), "Rejected. The requester and the primary login's address were told.");
  step(
    "withdraw",
    reasonForm("Give the reason for withdrawing."),
    "The temporary password was not withdrawn",
    async (id, agent, data) => listed(await withdrawApproval(deps, id, agent, data.reason)),
    "Withdrawn. The temporary password no longer works; the requester and the primary login's address were told.",
  );
  step("objection/clear", clearForm, "The objection was not cleared", async (id, agent, data) => listed(await clearObjection(deps, id, agent, data.note)), "Objection cleared.");

  return router;
}
