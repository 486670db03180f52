import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { newPasswordProblems, passwordRequirements, type LiveLink, type Login, type StoredQuestion } from "../../identity/index.js";
import type { Problems } from "../../shared/problems.js";
import { parseForm } from "../validation.js";
import { findLiveLink, newPasswordFields, noReferrer, renderLinkInvalid, sendToSignIn } from "../link-pages.js";
import { ipLimit } from "../ip-limits.js";
import { checkAnswers, completeReset, resetQuestions, type SelfServiceDeps } from "../../accounts/index.js";

const answer = (which: string) => z.string({ error: `Answer the ${which} question.` }).min(1, `Answer the ${which} question.`).max(200, "Answers are at most 200 characters.");
const resetForm = z.object({ answer1: answer("first"), answer2: answer("second"), ...newPasswordFields });

/** Why the page explains the next step instead of offering the form. */
type NextStepReason = "no_questions" | "burnt";

/**
 * `GET/POST /reset-password/:token`: the self-service link asks the login's two security
 * questions, then takes the new password. Without questions, or once wrong answers burnt
 * the link, the page says who can reset the password instead.
 */
export function resetPasswordRoutes(deps: SelfServiceDeps): Router {
  const router = Router();
  router.use("/reset-password", noReferrer);

  /** A live reset link of a login that may still use it (enabled, account active). */
  const liveLink = async (req: Request) => {
    const link = await findLiveLink(deps, req, "reset");
    return link && (link.login.accountId === null || link.login.accountStatus === "active") ? link : null;
  };

  /** `answersRight`: the last try's answers were right and only the new password was not. */
  const renderForm = (req: Request, res: Response, status: number, link: LiveLink, questions: StoredQuestion[], problems: Problems = {}, answersRight = false) =>
    res.status(status).render("auth/reset-password", {
      title: "Reset your password",
      username: link.login.username,
      role: link.login.role,
      questions: questions.map((q) => q.question),
      action: req.originalUrl,
      problems,
      answersRight,
      requirements: passwordRequirements(deps.policy),
    });

  const renderNextStep = (res: Response, status: number, login: Login, reason: NextStepReason) =>
    res.status(status).render("auth/reset-next-step", { title: "Reset your password", username: login.username, role: login.role, reason });

  router.get("/reset-password/:token", async (req, res) => {
    const link = await liveLink(req);
    if (!link) return renderLinkInvalid(res);
    const questions = await resetQuestions(deps.db, link.login.id);
    if (!questions.length) return renderNextStep(res, 200, link.login, "no_questions");
    renderForm(req, res, 200, link, questions);
  });

  router.post("/reset-password/:token", ipLimit(deps, "reset"), async (req, res, next) => {
    const link = await liveLink(req);
    if (!link) return renderLinkInvalid(res);
    const questions = await resetQuestions(deps.db, link.login.id);
    if (!questions.length) return renderNextStep(res, 400, link.login, "no_questions");
    const form = parseForm(resetForm, req.body);
    if (!form.ok) return renderForm(req, res, 400, link, questions, form.problems);

    const ip = req.ip ?? null;
    const answers = await checkAnswers(deps, link, questions, [form.data.answer1, form.data.answer2], ip);
    if (!answers.ok) {
      if (answers.triesLeft === 0) return renderNextStep(res, 400, link.login, "burnt");
      const tries = answers.triesLeft === 1 ? "1 more try" : `${answers.triesLeft} more tries`;
      return renderForm(req, res, 400, link, questions, { answer1: `The answers do not match the ones on file. This link allows ${tries}; below is who can reset your password if you cannot remember them.` });
    }

    const input = { newPassword: form.data.new_password, confirmPassword: form.data.confirm_password };
    const problems = await newPasswordProblems(deps, link.login.id, input);
    if (Object.keys(problems).length) return renderForm(req, res, 400, link, questions, problems, true);
    if (!(await completeReset(deps, link, input.newPassword, ip))) return renderLinkInvalid(res);
    sendToSignIn(req, res, next, "Your password was changed and every session of your login signed out. Sign in with your new password.");
  });

  return router;
}
