import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { assertionOptions, codeProof, confirmStepUp, hasPasskey, passkeyProof, type FactorProof, type PasskeyDeps } from "../../identity/index.js";
import { factorCode } from "../factor-code-form.js";
import { flash } from "../flash.js";
import { requireSignedIn } from "../guards.js";
import { assertionForm, assertionOf, NO_CHALLENGE, sendCeremonyOptions, takeChallenge } from "../passkey-ceremonies.js";
import { actorOf } from "../request-meta.js";
import { localPath, noteFactorChecked, renderStepUp, STEP_UP_PATH, type StepUpDeps } from "../step-up.js";
import { parseForm } from "../validation.js";

// `return_to` is read apart, through localPath: a bad or repeated one means home, never a 400.
const stepUpForm = z.object({ code: factorCode });

/** `GET/POST /confirm-identity`: the second factor asked again (a code, or a passkey), then back to the page the step is repeated from. */
export function stepUpRoutes(deps: PasskeyDeps & StepUpDeps): Router {
  const router = Router();
  router.use(STEP_UP_PATH, requireSignedIn);

  const render = async (req: Request, res: Response, status: number, back: string, problems: Record<string, string> = {}) =>
    renderStepUp(res, status, back, problems, false, await hasPasskey(deps.db, req.user!.id));

  /** Checks the proof; refused, the page again with its problem; confirmed, back to repeat the step. */
  const confirm = async (req: Request, res: Response, back: string, proof: FactorProof) => {
    const result = await confirmStepUp(deps, actorOf(req), proof);
    if (!result.ok) return render(req, res, 400, back, result.problems);
    noteFactorChecked(req, deps.clock);
    flash(req, "success", `Confirmed. For the next ${Math.round(deps.stepUpMs / 60_000)} minutes the desk will not ask again: repeat the step now.`);
    res.redirect(303, back);
  };

  router.get(STEP_UP_PATH, async (req, res) => {
    if (!req.user!.hasActiveFactor) return res.redirect(303, localPath(req.query.return_to));
    await render(req, res, 200, localPath(req.query.return_to));
  });

  router.post(STEP_UP_PATH, async (req, res) => {
    const back = localPath((req.body as Record<string, unknown>).return_to);
    if (!req.user!.hasActiveFactor) return res.redirect(303, back);
    const form = parseForm(stepUpForm, req.body);
    if (!form.ok) return render(req, res, 400, back, form.problems);
    await confirm(req, res, back, codeProof(deps, form.data.code, req.ip ?? null));
  });

  router.post(`${STEP_UP_PATH}/passkey/options`, async (req, res) => {
    sendCeremonyOptions(req, res, deps.clock, "step_up", req.user!.id, await assertionOptions(deps, req.user!.id));
  });

  router.post(`${STEP_UP_PATH}/passkey`, async (req, res) => {
    const back = localPath((req.body as Record<string, unknown>).return_to);
    if (!req.user!.hasActiveFactor) return res.redirect(303, back);
    const challenge = takeChallenge(req, deps.clock, "step_up", req.user!.id);
    const form = parseForm(assertionForm, req.body);
    if (!form.ok) return render(req, res, 400, back, { passkey: form.problems.credential ?? form.problems.form ?? NO_CHALLENGE });
    if (!challenge) return render(req, res, 400, back, { passkey: NO_CHALLENGE });
    await confirm(req, res, back, passkeyProof(deps, assertionOf(req, form.data.credential, challenge)));
  });

  return router;
}
