import { Router, type Request, type Response } from "express";
import QRCode from "qrcode";
import { z } from "zod";
import { confirmTotp, factorStatus, pendingEnrolment, regenerateRecoveryCodes, removeTotp, startTotpEnrolment, type FactorDeps } from "../../identity/index.js";
import { factorCode } from "../factor-code-form.js";
import { flash } from "../flash.js";
import { renewSession } from "../passport.js";
import { requireSignedIn } from "../guards.js";
import { actorOf } from "../request-meta.js";
import { ENROLMENT_PATH, factorRequired, type FactorPolicies } from "../second-factor-gates.js";
import type { Problems } from "../../shared/problems.js";
import { firstFactorLate, noteFactorChecked, requireRecentSignInForFirstFactor, requireStepUp, type StepUpDeps } from "../step-up.js";
import { parseForm } from "../validation.js";

const spacesOut = (c: string) => c.replace(/\s+/g, "");

const confirmForm = z.object({
  code: z
    .string({ error: "Enter the 6-digit code your app shows." })
    .transform(spacesOut)
    .pipe(z.string().regex(/^\d{6}$/, "Enter the 6-digit code your app shows (digits only).")),
});

/** Removing the authenticator, or making new recovery codes, needs a current code of the factor: a session alone is not enough. */
const removeForm = z.object({ code: factorCode });
const regenerateForm = z.object({ recovery: factorCode });

type TwoFactorDeps = FactorDeps & { factorPolicies: FactorPolicies };

/** The Two-step sign-in page (its forms' problems by field; what was typed in `values`). */
export async function renderTwoFactorPage(deps: TwoFactorDeps, req: Request, res: Response, status: number, problems: Problems = {}, values: Record<string, string> = {}): Promise<void> {
  const user = req.user!;
  const pending = await pendingEnrolment(deps, actorOf(req));
  // The QR code is drawn here as SVG: the page needs no script, and the secret leaves only to its holder.
  const qrSvg = pending ? await QRCode.toString(pending.uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 }) : null;
  res.set("Cache-Control", "no-store");
  res.status(status).render("account/two-factor", {
    title: "Two-step sign-in",
    status: await factorStatus(deps.db, user.id),
    pending,
    qrSvg,
    required: factorRequired(deps.factorPolicies, user.role),
    problems,
    values,
  });
}

/** The recovery codes, shown this once: never stored in clear, never in the session, never cached. */
export function showRecoveryCodes(res: Response, codes: string[], fresh: boolean, factor: "totp" | "passkey" = "totp"): void {
  res.set("Cache-Control", "no-store");
  res.render("account/two-factor-codes", { title: "Your recovery codes", codes, fresh, factor });
}

/** `/account/two-factor`: My profile → Two-step sign-in (authenticator app and recovery codes; passkeys in passkey-routes.ts). */
export function twoFactorRoutes(deps: TwoFactorDeps & StepUpDeps): Router {
  const router = Router();
  router.use(ENROLMENT_PATH, requireSignedIn);
  const render = (req: Request, res: Response, status: number, problems: Problems = {}) => renderTwoFactorPage(deps, req, res, status, problems);

  router.get(ENROLMENT_PATH, (req, res) => render(req, res, 200));

  // With a passkey already, another factor is a change to the factors: a fresh check first; the first factor needs a recent sign-in.
  const soonAfterSignIn = requireRecentSignInForFirstFactor(deps, (req, res) => {
    flash(req, "error", firstFactorLate(deps));
    res.redirect(303, ENROLMENT_PATH);
  });
  router.post(`${ENROLMENT_PATH}/totp`, requireStepUp(deps, () => ENROLMENT_PATH), soonAfterSignIn, async (req, res) => {
    if (!(await startTotpEnrolment(deps, actorOf(req)))) {
      flash(req, "error", "Your authenticator app is already set up. Remove it first to set up another one.");
    }
    res.redirect(303, ENROLMENT_PATH);
  });

  router.post(`${ENROLMENT_PATH}/totp/confirm`, async (req, res) => {
    const form = parseForm(confirmForm, req.body);
    if (!form.ok) return render(req, res, 400, form.problems);
    const result = await confirmTotp(deps, actorOf(req), form.data.code);
    if (!result.ok) return render(req, res, 400, result.problems);
    await renewSession(req, deps.db);
    noteFactorChecked(req, deps.clock);
    if (result.value) return showRecoveryCodes(res, result.value, true);
    flash(req, "success", "The authenticator app is set up. Your recovery codes stay as they were.");
    res.redirect(303, ENROLMENT_PATH);
  });

  router.post(`${ENROLMENT_PATH}/totp/remove`, async (req, res) => {
    const form = parseForm(removeForm, req.body);
    if (!form.ok) return render(req, res, 400, form.problems);
    const result = await removeTotp(deps, actorOf(req), form.data.code);
    if (!result.ok) return render(req, res, 400, result.problems);
    await renewSession(req, deps.db);
    const required = factorRequired(deps.factorPolicies, req.user!.role);
    flash(req, "success", required ? "The authenticator app is removed. Your login needs one: set up a new one to go on." : "The authenticator app and your recovery codes are removed: sign-in asks only your password now.");
    res.redirect(303, ENROLMENT_PATH);
  });

  router.post(`${ENROLMENT_PATH}/recovery-codes`, async (req, res) => {
    const form = parseForm(regenerateForm, req.body);
    if (!form.ok) return render(req, res, 400, form.problems);
    const result = await regenerateRecoveryCodes(deps, actorOf(req), form.data.recovery);
    if (!result.ok) return render(req, res, 400, result.problems);
    showRecoveryCodes(res, result.value, false);
  });

  return router;
}
