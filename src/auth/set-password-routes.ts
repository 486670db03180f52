import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { findLoginById } from "../accounts/users-store.js";
import { HttpError } from "../web/errors.js";
import { flash } from "../web/flash.js";
import { parseForm, type Problems } from "../web/validation.js";
import { applyNewPassword, newPasswordProblems, type PasswordChangeDeps } from "./password-change.js";
import { passwordRequirements } from "./password-policy.js";
import { findLiveToken, spendToken } from "./reset-tokens-store.js";

const setForm = z.object({
  new_password: z.string({ error: "Enter a new password." }).min(1, "Enter a new password.").max(1024, "That password is too long."),
  confirm_password: z.string({ error: "Enter the new password again." }).min(1, "Enter the new password again.").max(1024, "That password is too long."),
});

const LINK_SPENT = "This link is no longer valid: it was used, replaced by a newer one, or it expired.";

/** `GET/POST /set-password/:token`: a new login or a holder-started reset chooses its password. */
export function setPasswordRoutes(deps: PasswordChangeDeps): Router {
  const router = Router();
  // The token is in the path: never let it leave in a Referer header.
  router.use("/set-password", (_req, res, next) => {
    res.set("Referrer-Policy", "no-referrer");
    next();
  });

  const liveLink = async (req: Request) => {
    const raw = req.params.token;
    const token = await findLiveToken(deps.db, typeof raw === "string" ? raw : "", "set_password", deps.clock.now());
    const login = token ? await findLoginById(deps.db, token.userId) : null;
    if (!token || !login || login.disabledAt) return null;
    return { token, login };
  };

  const render = (req: Request, res: Response, status: number, username: string, problems: Problems = {}) =>
    res.status(status).render("auth/set-password", {
      title: "Choose your password",
      username,
      action: req.originalUrl,
      problems,
      requirements: passwordRequirements(deps.policy),
    });

  const invalid = (res: Response) => res.status(404).render("auth/link-invalid", { title: "Link no longer valid", message: LINK_SPENT });

  router.get("/set-password/:token", async (req, res) => {
    const link = await liveLink(req);
    if (!link) return invalid(res);
    render(req, res, 200, link.login.username);
  });

  router.post("/set-password/:token", async (req, res) => {
    const link = await liveLink(req);
    if (!link) return invalid(res);
    const form = parseForm(setForm, req.body);
    if (!form.ok) return render(req, res, 400, link.login.username, form.problems);
    const input = { newPassword: form.data.new_password, confirmPassword: form.data.confirm_password };
    const problems = await newPasswordProblems(deps, link.login.id, input);
    if (Object.keys(problems).length) return render(req, res, 400, link.login.username, problems);
    const now = deps.clock.now();
    try {
      await applyNewPassword(deps, link.login.id, input.newPassword, { action: "password.set_by_link", actorId: link.login.id, actor: link.login.username, ip: req.ip ?? null }, async (trx) => {
        if (!(await spendToken(trx, link.token.id, now))) throw new HttpError(404, LINK_SPENT);
      });
    } catch (err) {
      if (err instanceof HttpError) return invalid(res);
      throw err;
    }
    flash(req, "success", "Your password is set. Sign in with it now.");
    res.redirect(303, "/login");
  });

  return router;
}
