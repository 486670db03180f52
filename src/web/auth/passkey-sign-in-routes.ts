import { Router } from "express";
import { assertionOptions, signInWithPasskey, type PasskeyDeps, type SignInDeps } from "../../identity/index.js";
import { ipLimit } from "../ip-limits.js";
import { assertionForm, assertionOf, NO_CHALLENGE, sendCeremonyOptions, takeChallenge } from "../passkey-ceremonies.js";
import { sessionUser } from "../passport.js";
import { startSessionClock } from "../sessions.js";
import { noteFactorChecked } from "../step-up.js";
import { parseForm } from "../validation.js";
import { FAILURE_MESSAGES, renderSignIn } from "./sign-in-routes.js";

const PASSKEY_SIGN_IN_PATH = "/login/passkey";

/** One message whatever went wrong (unknown passkey, locked, disabled), as for a password. */
const PASSKEY_FAILURE = "Sign-in with the passkey failed: it is not one this desk knows, or the login cannot sign in right now. Try again, or sign in with your password.";

/**
 * "Sign in with a passkey" on /login: a discoverable credential with user verification signs in
 * alone (both factors), under the same per-address limit and lockout as a password.
 */
export function passkeySignInRoutes(deps: SignInDeps & PasskeyDeps & { login: { ipLimit: number } }): Router {
  const router = Router();
  const signInLimit = ipLimit(deps, "login", deps.login.ipLimit);

  router.post(`${PASSKEY_SIGN_IN_PATH}/options`, async (req, res) => {
    if (req.user) return res.status(400).json({ error: "You are signed in already." });
    sendCeremonyOptions(req, res, deps.clock, "sign_in", null, await assertionOptions(deps, null));
  });

  router.post(PASSKEY_SIGN_IN_PATH, signInLimit, async (req, res, next) => {
    if (req.user) return res.redirect(303, "/");
    const challenge = takeChallenge(req, deps.clock, "sign_in", null);
    const form = parseForm(assertionForm, req.body);
    if (!form.ok) return renderSignIn(res, 400, { problems: { passkey: form.problems.credential ?? NO_CHALLENGE } });
    if (!challenge) return renderSignIn(res, 400, { problems: { passkey: NO_CHALLENGE } });
    const result = await signInWithPasskey(deps, assertionOf(req, form.data.credential, challenge));
    if (!result.ok) return renderSignIn(res, 401, { error: result.reason === "temporary_password_expired" ? FAILURE_MESSAGES[result.reason] : PASSKEY_FAILURE });
    // req.login regenerates the session: a new id, nothing carried over from before sign-in.
    req.login(sessionUser({ ...result.login, hasActiveFactor: true }), (err) => {
      if (err) return next(err);
      startSessionClock(req, deps.clock);
      noteFactorChecked(req, deps.clock);
      res.redirect(303, result.login.mustChangePassword ? "/account/password" : "/");
    });
  });

  return router;
}
