import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { Problems } from "../../shared/problems.js";
import { parseForm } from "../validation.js";
import { applyPasswordByLink, newPasswordProblems, passwordRequirements, type PasswordChangeDeps } from "../../identity/index.js";
import { findLiveLink, newPasswordFields, noReferrer, renderLinkInvalid, sendToSignIn } from "../link-pages.js";

const setForm = z.object(newPasswordFields);

/** `GET/POST /set-password/:token`: a new login or a holder-started reset chooses its password. */
export function setPasswordRoutes(deps: PasswordChangeDeps): Router {
  const router = Router();
  router.use("/set-password", noReferrer);

  const render = (req: Request, res: Response, status: number, username: string, problems: Problems = {}) =>
    res.status(status).render("auth/set-password", {
      title: "Choose your password",
      username,
      action: req.originalUrl,
      problems,
      requirements: passwordRequirements(deps.policy),
    });

  router.get("/set-password/:token", async (req, res) => {
    const link = await findLiveLink(deps, req, "set_password");
    if (!link) return renderLinkInvalid(res);
    render(req, res, 200, link.login.username);
  });

  router.post("/set-password/:token", async (req, res, next) => {
    const link = await findLiveLink(deps, req, "set_password");
    if (!link) return renderLinkInvalid(res);
    const form = parseForm(setForm, req.body);
    if (!form.ok) return render(req, res, 400, link.login.username, form.problems);
    const input = { newPassword: form.data.new_password, confirmPassword: form.data.confirm_password };
    const problems = await newPasswordProblems(deps, link.login.id, input);
    if (Object.keys(problems).length) return render(req, res, 400, link.login.username, problems);
    if (!(await applyPasswordByLink(deps, link, input.newPassword, { action: "password.set_by_link", ip: req.ip ?? null }))) return renderLinkInvalid(res);
    sendToSignIn(req, res, next, "Your password is set. Sign in with it now.");
  });

  return router;
}
