import { Router } from "express";
import { addPasskey, registrationOptions, removePasskey, type PasskeyDeps } from "../../identity/index.js";
import { flash } from "../flash.js";
import { requireSignedIn } from "../guards.js";
import { NO_CHALLENGE, registrationForm, sendCeremonyOptions, takeChallenge } from "../passkey-ceremonies.js";
import { renewSession } from "../passport.js";
import { pathId } from "../path-ids.js";
import { actorOf } from "../request-meta.js";
import { ENROLMENT_PATH, factorRequired, type FactorPolicies } from "../second-factor-gates.js";
import { factorCheckedRecently, firstFactorLate, noteFactorChecked, requireRecentSignInForFirstFactor, requireStepUp, STEP_UP_PATH, type StepUpDeps } from "../step-up.js";
import { parseForm } from "../validation.js";
import { renderTwoFactorPage, showRecoveryCodes } from "./two-factor-routes.js";

const PASSKEYS_PATH = `${ENROLMENT_PATH}/passkeys`;

/**
 * Passkeys under My profile → Two-step sign-in: register several (each named by its holder),
 * remove them. The first factor needs a recent sign-in, like the authenticator app's
 * enrolment; with a factor already, adding or removing one needs a fresh check (step-up).
 */
export function passkeyRoutes(deps: PasskeyDeps & StepUpDeps & { factorPolicies: FactorPolicies }): Router {
  const router = Router();
  router.use(PASSKEYS_PATH, requireSignedIn);
  const backHere = () => ENROLMENT_PATH;
  const stepUp = requireStepUp(deps, backHere);
  const soonAfterSignIn = requireRecentSignInForFirstFactor(deps, (req, res) => {
    if (req.path.endsWith("/options")) return void res.status(403).json({ error: firstFactorLate(deps) });
    flash(req, "error", firstFactorLate(deps));
    res.redirect(303, ENROLMENT_PATH);
  });

  // Asked by the browser half when the holder presses "Add a passkey": before the authenticator makes a credential the desk would refuse to store.
  router.post(`${PASSKEYS_PATH}/options`, soonAfterSignIn, async (req, res) => {
    if (req.user!.hasActiveFactor && !factorCheckedRecently(req, deps)) {
      return res.status(403).json({ error: "Adding a passkey needs your second factor again.", stepUp: `${STEP_UP_PATH}?return_to=${encodeURIComponent(ENROLMENT_PATH)}` });
    }
    sendCeremonyOptions(req, res, deps.clock, "registration", req.user!.id, await registrationOptions(deps, actorOf(req)));
  });

  router.post(PASSKEYS_PATH, stepUp, soonAfterSignIn, async (req, res) => {
    const challenge = takeChallenge(req, deps.clock, "registration", req.user!.id);
    const form = parseForm(registrationForm, req.body);
    const typed = (req.body as Record<string, unknown>).name;
    const refuse = (problems: Record<string, string>) => renderTwoFactorPage(deps, req, res, 400, problems, { name: typeof typed === "string" ? typed : "" });
    if (!form.ok) {
      // The answer's problem shows beside the passkey button.
      const { credential, ...others } = form.problems;
      return refuse(credential ? { ...others, passkey: credential } : others);
    }
    if (!challenge) return refuse({ passkey: NO_CHALLENGE });
    const result = await addPasskey(deps, actorOf(req), form.data.name, form.data.credential, challenge);
    if (!result.ok) return refuse(result.problems);
    await renewSession(req, deps.db);
    // A registration with user verification proves the new factor, as the first authenticator code does.
    noteFactorChecked(req, deps.clock);
    if (result.value.recoveryCodes) return showRecoveryCodes(res, result.value.recoveryCodes, true, "passkey");
    flash(req, "success", `The passkey “${form.data.name}” is added. It signs you in alone, or after your password.`);
    res.redirect(303, ENROLMENT_PATH);
  });

  router.post(`${PASSKEYS_PATH}/:id/remove`, stepUp, async (req, res) => {
    const { factorLeft } = await removePasskey(deps, actorOf(req), pathId(req.params.id as string | undefined));
    await renewSession(req, deps.db);
    const required = factorRequired(deps.factorPolicies, req.user!.role);
    flash(
      req,
      "success",
      factorLeft ? "The passkey is removed." : required ? "The passkey is removed. Your login needs a second factor: set one up to go on." : "The passkey and your recovery codes are removed: sign-in asks only your password now.",
    );
    res.redirect(303, ENROLMENT_PATH);
  });

  return router;
}
