import { Router } from "express";
import { z } from "zod";
import { confirmStepUp, type FactorDeps } from "../../identity/index.js";
import { factorCode } from "../factor-code-form.js";
import { flash } from "../flash.js";
import { requireSignedIn } from "../guards.js";
import { actorOf } from "../request-meta.js";
import { localPath, noteFactorChecked, renderStepUp, STEP_UP_PATH, type StepUpDeps } from "../step-up.js";
import { parseForm } from "../validation.js";

// `return_to` is read apart, through localPath: a bad or repeated one means home, never a 400.
const stepUpForm = z.object({ code: factorCode });

/** `GET/POST /confirm-identity`: the second factor asked again, then back to the page the step is repeated from. */
export function stepUpRoutes(deps: FactorDeps & StepUpDeps): Router {
  const router = Router();
  router.use(STEP_UP_PATH, requireSignedIn);

  router.get(STEP_UP_PATH, (req, res) => {
    if (!req.user!.hasActiveFactor) return res.redirect(303, localPath(req.query.return_to));
    renderStepUp(res, 200, localPath(req.query.return_to));
  });

  router.post(STEP_UP_PATH, async (req, res) => {
    const back = localPath((req.body as Record<string, unknown>).return_to);
    if (!req.user!.hasActiveFactor) return res.redirect(303, back);
    const form = parseForm(stepUpForm, req.body);
    if (!form.ok) return renderStepUp(res, 400, back, form.problems);
    const result = await confirmStepUp(deps, actorOf(req), form.data.code);
    if (!result.ok) return renderStepUp(res, 400, back, result.problems);
    noteFactorChecked(req, deps.clock);
    flash(req, "success", `Confirmed. For the next ${Math.round(deps.stepUpMs / 60_000)} minutes the desk will not ask again: repeat the step now.`);
    res.redirect(303, back);
  });

  return router;
}
