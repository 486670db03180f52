import { Router, type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import { assertionOptions, codeProof, completeSecondStep, hasPasskey, passkeyProof, type FactorProof, type PasskeyDeps, type SecondStepFailure, type SignInDeps } from "../../identity/index.js";
import { factorCode } from "../factor-code-form.js";
import { flash } from "../flash.js";
import { ipLimit } from "../ip-limits.js";
import { assertionForm, assertionOf, NO_CHALLENGE, sendCeremonyOptions, takeChallenge } from "../passkey-ceremonies.js";
import { sessionUser } from "../passport.js";
import { SECOND_STEP_EXPIRED, SECOND_STEP_PASSKEY_PATH, SECOND_STEP_PATH } from "../second-factor-gates.js";
import { startSessionClock } from "../sessions.js";
import { noteFactorChecked } from "../step-up.js";
import type { Problems } from "../../shared/problems.js";
import { parseForm } from "../validation.js";

const codeForm = z.object({ code: factorCode });


/** Why the pending sign-in ends, shown on the sign-in page; the others keep the second step open. */
const ENDED: Partial<Record<SecondStepFailure, string>> = {
  locked: "Too many wrong passwords or codes: this login is locked for a while. Try again later, or ask support to unlock it.",
  expired: SECOND_STEP_EXPIRED,
  void: "This sign-in can no longer go on (the login changed meanwhile). Sign in again.",
};

/** `GET/POST /login/second-factor`: the second step of a sign-in, after a right password: a code, or a passkey of the login. */
export function secondStepRoutes(deps: SignInDeps & PasskeyDeps & { login: { ipLimit: number } }): Router {
  const router = Router();
  const codeLimit = ipLimit(deps, "secondStep", deps.login.ipLimit);

  const render = async (req: Request, res: Response, status: number, problems: Problems = {}) =>
    res.status(status).render("auth/second-step", { title: "Two-step sign-in", problems, passkeys: await hasPasskey(deps.db, req.session.pendingSignIn!.userId) });

  /** The proof decides: signed in exactly as the code path does, or the page again, or back to the sign-in page. */
  const finish = async (req: Request, res: Response, next: NextFunction, proof: FactorProof) => {
    const result = await completeSecondStep(deps, req.session.pendingSignIn!, proof, req.ip);
    if (!result.ok) {
      const ended = ENDED[result.reason];
      if (!ended) return render(req, res, 401, { [proof.kind]: proof.wrong });
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
  };

  router.get(SECOND_STEP_PATH, async (req, res) => {
    if (!req.session.pendingSignIn) return res.redirect(303, req.user ? "/" : "/login");
    await render(req, res, 200);
  });

  router.post(SECOND_STEP_PATH, codeLimit, async (req, res, next) => {
    if (!req.session.pendingSignIn) return res.redirect(303, req.user ? "/" : "/login");
    const form = parseForm(codeForm, req.body);
    if (!form.ok) return render(req, res, 400, form.problems);
    await finish(req, res, next, codeProof(deps, form.data.code, req.ip ?? null));
  });

  router.post(`${SECOND_STEP_PASSKEY_PATH}/options`, async (req, res) => {
    const pending = req.session.pendingSignIn;
    if (!pending) return res.status(400).json({ error: "No sign-in is waiting for its second step. Sign in again." });
    sendCeremonyOptions(req, res, deps.clock, "second_step", pending.userId, await assertionOptions(deps, pending.userId));
  });

  // Counted like codes (the same per-address limit and, in completeSecondStep, the lockout).
  router.post(SECOND_STEP_PASSKEY_PATH, codeLimit, async (req, res, next) => {
    const pending = req.session.pendingSignIn;
    if (!pending) return res.redirect(303, req.user ? "/" : "/login");
    const challenge = takeChallenge(req, deps.clock, "second_step", pending.userId);
    const form = parseForm(assertionForm, req.body);
    if (!form.ok) return render(req, res, 400, { passkey: form.problems.credential ?? NO_CHALLENGE });
    if (!challenge) return render(req, res, 400, { passkey: NO_CHALLENGE });
    await finish(req, res, next, passkeyProof(deps, assertionOf(req, form.data.credential, challenge)));
  });

  router.post(`${SECOND_STEP_PATH}/cancel`, (req, res) => {
    delete req.session.pendingSignIn;
    res.redirect(303, "/login");
  });

  return router;
}
