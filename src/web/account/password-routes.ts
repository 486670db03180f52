import { Router, type Response } from "express";
import { actorOf } from "../request-meta.js";
import { z } from "zod";
import { changeOwnPassword, passwordRequirements, type PasswordChangeDeps, type PolicyName } from "../../identity/index.js";
import { flash } from "../flash.js";
import { requireSignedIn } from "../guards.js";
import type { Problems } from "../../shared/problems.js";
import { parseForm } from "../validation.js";
import { ENROLMENT_OFFER_PATH, ENROLMENT_PATH } from "../second-factor-gates.js";

const passwordText = (label: string) => z.string({ error: `Enter ${label}.` }).min(1, `Enter ${label}.`).max(1024, "That password is too long.");

const changeForm = z.object({
  current_password: passwordText("your current password"),
  new_password: passwordText("a new password"),
  confirm_password: passwordText("the new password again"),
});

/** `GET /account` (my profile) and `GET/POST /account/password`. */
export function accountRoutes(deps: PasswordChangeDeps & { policy: PolicyName }): Router {
  const router = Router();
  router.use("/account", requireSignedIn);

  router.get("/account", (_req, res) => res.render("account/index", { title: "My profile" }));

  const renderChange = (res: Response, status: number, problems: Problems = {}) =>
    res.status(status).render("account/password", { title: "Change password", problems, requirements: passwordRequirements(deps.policy) });

  router.get("/account/password", (_req, res) => renderChange(res, 200));

  router.post("/account/password", async (req, res, next) => {
    const form = parseForm(changeForm, req.body);
    if (!form.ok) return renderChange(res, 400, form.problems);
    const { current_password, new_password, confirm_password } = form.data;
    const problems = await changeOwnPassword(deps, actorOf(req), { currentPassword: current_password, newPassword: new_password, confirmPassword: confirm_password });
    if (Object.keys(problems).length) return renderChange(res, 400, problems);
    // After a reset's temporary password, a login without a factor (lost with the reset, or never set) is offered one at its next sign-in here.
    const offer = req.user!.mustChangePassword && !req.user!.hasActiveFactor;
    // Every session of the login has ended, this one too: start a clean one for the message.
    req.session.regenerate((err) => {
      if (err) return next(err);
      if (offer) req.session.enrolmentOffer = true;
      flash(req, "success", "Your password was changed and every session signed out. Sign in with your new password.");
      res.redirect(303, "/login");
    });
  });

  /** Offered after a reset's forced change to a login without a factor (sign-in-routes.ts); a required factor is the enrolment gate's instead. */
  router.get(ENROLMENT_OFFER_PATH, (req, res) => {
    if (req.user!.hasActiveFactor) return res.redirect(303, ENROLMENT_PATH);
    res.render("account/enrolment-offer", { title: "Set up two-step sign-in" });
  });

  return router;
}
