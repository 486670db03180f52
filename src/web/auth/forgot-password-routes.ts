import { Router, type Response } from "express";
import { z } from "zod";
import type { Logger } from "../../shared/logger.js";
import type { Problems } from "../../shared/problems.js";
import { parseForm } from "../validation.js";
import { afterResponse } from "../after-response.js";
import { noReferrer } from "../link-pages.js";
import { ipLimit } from "../ip-limits.js";
import { sendResetLink, type SelfServiceDeps } from "../../accounts/index.js";

const forgotForm = z.object({
  username: z.string({ error: "Enter your username." }).trim().min(1, "Enter your username.").max(64, "Usernames are at most 64 characters."),
});

/**
 * `GET/POST /forgot-password`. The answer is one page, word for word and in status, whatever
 * the username; it goes out before any work on the login, which runs afterwards.
 */
export function forgotPasswordRoutes(deps: SelfServiceDeps & { logger: Logger }): Router {
  const router = Router();
  router.use("/forgot-password", noReferrer);

  const render = (res: Response, status: number, problems: Problems = {}, username = "") =>
    res.status(status).render("auth/forgot-password", { title: "Forgot password", problems, values: { username } });

  router.get("/forgot-password", (_req, res) => render(res, 200));

  router.post("/forgot-password", ipLimit(deps, "forgot"), (req, res) => {
    const form = parseForm(forgotForm, req.body);
    if (!form.ok) {
      const typed = (req.body as Record<string, unknown>).username;
      return render(res, 400, form.problems, typeof typed === "string" ? typed.slice(0, 64) : "");
    }
    const { username } = form.data;
    const ip = req.ip ?? null;
    afterResponse(res, deps.logger, "forgot-password request", () => sendResetLink(deps, username, ip));
    res.status(200).render("auth/forgot-password-sent", { title: "Check your email", minutes: deps.linkTtlMinutes });
  });

  return router;
}
