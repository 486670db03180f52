import { Router, type Request, type Response } from "express";
import { actorOf } from "../request-meta.js";
import { z } from "zod";
import type { MailingDeps } from "../../platform/mail/mailer.js";
import { flash } from "../flash.js";
import { requireAdmin } from "../guards.js";
import { rowAtPath } from "../path-ids.js";
import type { Problems } from "../../shared/problems.js";
import { parseForm } from "../validation.js";
import { requireStepUp, type StepUpDeps } from "../step-up.js";
import { clearancesOfChange, clearChangeObjection, describeChange, findRecordChange, type RecordChange } from "../../accounts/index.js";

const clearForm = z.object({ note: z.string({ error: "Write what you reviewed." }).trim().min(1, "Write what you reviewed and why the objection is cleared.").max(2000, "Keep the note under 2,000 characters.") });

/** Where a change is listed: its account's page, or the staff login's own page. */
const pageOf = (c: RecordChange) => (c.accountId !== null ? `/admin/accounts/${c.accountId}#record-changes` : `/admin/logins/${c.userId}#record-changes`);

/** `GET /admin/record-changes/:id` and `POST …/clear`: an admin reviews a change and clears the objection to it. */
export function recordChangeRoutes(deps: MailingDeps & StepUpDeps): Router {
  const router = Router();
  router.use("/admin/record-changes", ...requireAdmin);
  router.post("/admin/record-changes/:id/clear", requireStepUp(deps, (req) => `/admin/record-changes/${String(req.params.id)}`));

  const changeOf = (req: Request): Promise<RecordChange> => rowAtPath(req.params.id as string | undefined, (id) => findRecordChange(deps.db, id), "There is no such change.");

  const render = async (req: Request, res: Response, change: RecordChange, status = 200, problems: Problems = {}, values: Record<string, unknown> = {}) => {
    const clearances = await clearancesOfChange(deps.db, change.id);
    res.status(status).render("admin/record-change", { title: "Record change", change, clearances, description: describeChange(change), back: pageOf(change), ownChange: change.changedBy === req.user!.id, problems, values });
  };

  router.get("/admin/record-changes/:id", async (req, res) => render(req, res, await changeOf(req)));

  router.post("/admin/record-changes/:id/clear", async (req, res) => {
    const change = await changeOf(req);
    const form = parseForm(clearForm, req.body);
    if (!form.ok) return render(req, res, change, 400, form.problems, req.body as Record<string, unknown>);
    const result = await clearChangeObjection(deps, change.id, actorOf(req), form.data.note);
    // Shown as the change is now, which the refusal was decided on.
    if (!result.ok) return render(req, res, await changeOf(req), 400, result.problems, req.body as Record<string, unknown>);
    flash(req, "success", `The objection to the change of ${describeChange(change)} is cleared.`);
    res.redirect(303, pageOf(change));
  });

  return router;
}
