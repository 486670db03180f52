import { Router, type Response } from "express";
import { z } from "zod";
import { completeSecondStep, type FactorDeps, type SecondStepFailure, type SignInDeps } from "../../identity/index.js";
import { factorCode } from "../factor-code-form.js";
import { flash } from "../flash.js";
import { ipLimit } from "../ip-limits.js";
import { sessionUser } from "../passport.js";
import { SECOND_STEP_EXPIRED, SECOND_STEP_PATH } from "../second-factor-gates.js";
import { startSessionClock } from "../sessions.js";
import { noteFactorChecked } from "../step-up.js";
import type { Problems } from "../../shared/problems.js";
import { parseForm } from "../validation.js";

const codeForm = z.object({ code: factorCode });

const WRONG_CODE = "That code is not right, or it was already used. Type the code your app shows now, or an unused recovery code.";

/** Why the pending sign-in ends, shown on the sign-in page; the others keep the second step open. */
const ENDED: Partial<Record<SecondStepFailure, string>> = {
  locked: "Too many wrong passwords or codes: this login is locked for a while. Try again later, or ask support to unlock it.",
  expired: SECOND_STEP_EXPIRED,
  void: "This sign-in can no longer go on (the login changed meanwhile). Sign in again.",
};

/** `GET/POST /login/second-factor`: the second step of a sign-in, after a right password. */
export function secondStepRoutes(deps: SignInDeps & FactorDeps & { login: { ipLimit: number } }): Router {
  const router = Router();
  const codeLimit = ipLimit(deps, "secondStep", deps.login.ipLimit);

  const render = (res: Response, status: number, problems: Problems = {}) =>
    res.status(status).render("auth/second-step", { title: "Two-step sign-in", problems });

  router.get(SECOND_STEP_PATH, (req, res) => {
    if (!req.session.pendingSignIn) return res.redirect(303, req.user ? "/" : "/login");
    render(res, 200);
  });

  router.post(SECOND_STEP_PATH, codeLimit, async (req, res, next) => {
    const pending = req.session.pendingSignIn;
    if (!pending) return res.redirect(303, req.user ? "/" : "/login");
    const form = parseForm(codeForm, req.body);
    if (!form.ok) return render(res, 400, form.problems);
    const result = await completeSecondStep(deps, pending, form.data.code, req.ip);
    if (!result.ok) {
      const ended = ENDED[result.reason];
      if (!ended) return render(res, 401, { code: WRONG_CODE });
      delete req.session.pendingSignIn;
      flash(req, "error", ended);
      return res.redirect(303, "/login");
    }
    // req.login regenerates the session: a new id, and the pending state is gone with the old one.
    req.login(sessionUser({ ...result.login, hasActiveFactor: true }), (err) => {
      if (err) return next(err);
      startSessionClock(req, deps.clock);
      noteFactorChecked(req, deps.clock);
      if (result.method === "recovery_code") flash(req, "info", "You signed in with a recovery code; it cannot be used again. Make new codes under My profile → Two-step sign-in when few are left.");
      res.redirect(303, result.login.mustChangePassword ? "/account/password" : "/");
    });
  });

  router.post(`${SECOND_STEP_PATH}/cancel`, (req, res) => {
    delete req.session.pendingSignIn;
    res.redirect(303, "/login");
  });

  return router;
}
