import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { notFound } from "../web/errors.js";
import { flash } from "../web/flash.js";
import { requireAgent } from "../web/guards.js";
import { idParam } from "../web/request-meta.js";
import { parseForm } from "../web/validation.js";
import { approveRequest, clearObjection, recordCallback, rejectRequest, type Agent, type DecisionDeps } from "./decision-service.js";
import { CALLBACK_OUTCOMES, findRequestByTicket } from "./reset-store.js";

const callbackForm = z.object({
  contact_id: z.string({ error: "Choose the contact you called." }).regex(/^[1-9]\d{0,9}$/, "Choose the contact you called.").transform(Number),
  outcome: z.enum(CALLBACK_OUTCOMES, { error: "Choose the outcome of the call." }),
  notes: z.string().trim().max(2000, "Keep the notes under 2,000 characters.").optional().transform((v) => v || null),
});
const rejectForm = z.object({ reason: z.string({ error: "Give the reason for rejecting." }).trim().min(1, "Give the reason for rejecting.").max(2000, "Keep the reason under 2,000 characters.") });
const clearForm = z.object({ note: z.string({ error: "Write what you reviewed." }).trim().min(1, "Write what you reviewed and why the objection is cleared.").max(2000, "Keep the note under 2,000 characters.") });

/** The agent's steps on a primary reset ticket: callback, approve, reject, clear an objection. */
export function resetDecisionRoutes(deps: DecisionDeps): Router {
  const router = Router();
  router.use("/desk/tickets/:id", ...requireAgent);

  const agentOf = (req: Request): Agent => ({ id: req.user!.id, username: req.user!.username, role: req.user!.role, ip: req.ip ?? null });

  /** The ticket id of a primary reset request, or 404. */
  const resetTicketId = async (req: Request): Promise<number> => {
    const id = idParam(req.params.id as string | undefined);
    if (!id || !(await findRequestByTicket(deps.db, id))) throw notFound();
    return id;
  };

  const refused = (res: Response, ticketId: number, heading: string, problems: string[]) =>
    res.status(400).render("resets/decision-refused", { title: heading, heading, ticketId, problems });

  const done = (req: Request, res: Response, ticketId: number, text: string) => {
    flash(req, "success", text);
    res.redirect(303, `/desk/tickets/${ticketId}`);
  };

  router.post("/desk/tickets/:id/callbacks", async (req, res) => {
    const ticketId = await resetTicketId(req);
    const form = parseForm(callbackForm, req.body);
    if (!form.ok) return refused(res, ticketId, "The callback was not recorded", Object.values(form.problems));
    const problems = (await recordCallback(deps, ticketId, agentOf(req), { contactId: form.data.contact_id, outcome: form.data.outcome, notes: form.data.notes }))!;
    if (Object.keys(problems).length) return refused(res, ticketId, "The callback was not recorded", Object.values(problems));
    done(req, res, ticketId, "Callback recorded.");
  });

  router.post("/desk/tickets/:id/approve", async (req, res) => {
    const ticketId = await resetTicketId(req);
    const unmet = (await approveRequest(deps, ticketId, agentOf(req)))!;
    if (unmet.length) return refused(res, ticketId, "The request was not approved", unmet.map((c) => `${c.label}: ${c.detail}`));
    done(req, res, ticketId, "Approved. The temporary password was sent, encrypted, to the primary login's registered address. Nobody at the desk can see it.");
  });

  router.post("/desk/tickets/:id/reject", async (req, res) => {
    const ticketId = await resetTicketId(req);
    const form = parseForm(rejectForm, req.body);
    if (!form.ok) return refused(res, ticketId, "The request was not rejected", Object.values(form.problems));
    const problems = (await rejectRequest(deps, ticketId, agentOf(req), form.data.reason))!;
    if (Object.keys(problems).length) return refused(res, ticketId, "The request was not rejected", Object.values(problems));
    done(req, res, ticketId, "Rejected. The requester and the primary login's address were told.");
  });

  router.post("/desk/tickets/:id/objection/clear", async (req, res) => {
    const ticketId = await resetTicketId(req);
    const form = parseForm(clearForm, req.body);
    if (!form.ok) return refused(res, ticketId, "The objection was not cleared", Object.values(form.problems));
    const problems = (await clearObjection(deps, ticketId, agentOf(req), form.data.note))!;
    if (Object.keys(problems).length) return refused(res, ticketId, "The objection was not cleared", Object.values(problems));
    done(req, res, ticketId, "Objection cleared.");
  });

  return router;
}
