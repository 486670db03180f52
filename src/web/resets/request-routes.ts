import { Router, type Response } from "express";
import { z } from "zod";
import { currentKey } from "../../identity/index.js";
import { flash } from "../flash.js";
import { checkboxField } from "../login-form.js";
import { requireSignedIn } from "../guards.js";
import type { Problems } from "../../shared/problems.js";
import { actorOf } from "../request-meta.js";
import { parseForm } from "../validation.js";
import { openResetRequest, resetEligibility, type Eligible, type ResetDeps } from "../../resets/index.js";

const requestForm = z.object({
  reason: z
    .string({ error: "Say why the primary login needs a reset." })
    .trim()
    .min(10, "Say why the primary login needs a reset, in a sentence or two (at least 10 characters).")
    .max(2000, "Keep the reason under 2,000 characters."),
  factor_lost: checkboxField,
});

/**
 * `GET/POST /reset-requests`: an authorised secondary login opens a primary reset request.
 * Anyone else gets a page that says why not and whom to ask (403).
 */
export function resetRequestRoutes(deps: ResetDeps & { keylessDelivery: boolean }): Router {
  const router = Router();
  router.use("/reset-requests", requireSignedIn);

  const renderForm = async (res: Response, status: number, { account, primary }: Eligible, problems: Problems = {}, values = { reason: "", factor_lost: false }) => {
    const hasKey = (await currentKey(deps.db, primary.id)) !== null;
    res.status(status).render("resets/new", { title: "Primary account password reset request", primary, account, hasKey, keylessDelivery: deps.keylessDelivery, problems, values });
  };

  router.get("/reset-requests/new", async (req, res) => {
    const eligible = await resetEligibility(deps.db, actorOf(req));
    if (!eligible.ok) return res.status(403).render("resets/not-allowed", { title: "Primary reset request", eligibility: eligible });
    await renderForm(res, 200, eligible.value);
  });

  router.post("/reset-requests", async (req, res) => {
    const eligible = await resetEligibility(deps.db, actorOf(req));
    if (!eligible.ok) return res.status(403).render("resets/not-allowed", { title: "Primary reset request", eligibility: eligible });
    const form = parseForm(requestForm, req.body);
    if (!form.ok) {
      const body = (req.body ?? {}) as Record<string, unknown>;
      return renderForm(res, 400, eligible.value, form.problems, { reason: typeof body.reason === "string" ? body.reason : "", factor_lost: body.factor_lost !== undefined });
    }
    const result = await openResetRequest(deps, actorOf(req), eligible.value, { reason: form.data.reason, factorLost: form.data.factor_lost });
    if (!result.ok) return res.status(403).render("resets/not-allowed", { title: "Primary reset request", eligibility: result });
    flash(req, "success", `Your request is ticket #${result.value.ticketId}. Support will call back a number on file before anything happens.`);
    res.redirect(303, `/tickets/${result.value.ticketId}`);
  });

  return router;
}
