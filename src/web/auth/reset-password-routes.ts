import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { newPasswordProblems, passwordRequirements, type FactorMethod, type LiveLink, type Login } from "../../identity/index.js";
import type { Problems } from "../../shared/problems.js";
import { parseForm } from "../validation.js";
import { findLiveLink, newPasswordFields, noReferrer, renderLinkInvalid, sendToSignIn } from "../link-pages.js";
import { ipLimit } from "../ip-limits.js";
import { checkAnswers, completeReset, linkProof, proveLinkWithFactor, type LinkProof, type SelfServiceDeps } from "../../accounts/index.js";
import { factorCode } from "../factor-code-form.js";

const answer = (which: string) => z.string({ error: `Answer the ${which} question.` }).min(1, `Answer the ${which} question.`).max(200, "Answers are at most 200 characters.");
const answersForm = z.object({ answer1: answer("first"), answer2: answer("second"), ...newPasswordFields });
const codeForm = z.object({ code: factorCode, ...newPasswordFields });

const CODE_SPENT = "Your code was right, and it is used now: type the next code your app shows (or another recovery code) with a new password that meets the requirements.";

/** Why the page explains the next step instead of offering the form. */
type NextStepReason = "no_questions" | "questions_off" | "burnt";

/**
 * `GET/POST /reset-password/:token`: the self-service link asks a code of the login's second
 * factor when it has one, else its two security questions (unless SECURITY_QUESTIONS=off), then
 * takes the new password. With neither, or once wrong answers burnt the link, the page says who
 * can reset the password instead.
 */
export function resetPasswordRoutes(deps: SelfServiceDeps): Router {
  const router = Router();
  router.use("/reset-password", noReferrer);

  /** A live reset link of a login that may still use it (enabled, account active). */
  const liveLink = async (req: Request) => {
    const link = await findLiveLink(deps, req, "reset");
    return link && (link.login.accountId === null || link.login.accountStatus === "active") ? link : null;
  };

  /** `proved`: the last try's answers or code were right and only the new password was not. */
  const renderForm = (req: Request, res: Response, status: number, link: LiveLink, proof: Exclude<LinkProof, { asks: "none" }>, problems: Problems = {}, proved = false) =>
    res.status(status).render("auth/reset-password", {
      title: "Reset your password",
      username: link.login.username,
      role: link.login.role,
      asks: proof.asks,
      questions: proof.asks === "questions" ? proof.questions.map((q) => q.question) : [],
      action: req.originalUrl,
      problems,
      answersRight: proved && proof.asks === "questions",
      requirements: passwordRequirements(deps.policy),
    });

  const renderNextStep = (res: Response, status: number, login: Login, reason: NextStepReason) =>
    res.status(status).render("auth/reset-next-step", { title: "Reset your password", username: login.username, role: login.role, reason });
  const noProof = deps.securityQuestions ? "no_questions" : "questions_off";

  router.get("/reset-password/:token", async (req, res) => {
    const link = await liveLink(req);
    if (!link) return renderLinkInvalid(res);
    const proof = await linkProof(deps, link.login.id);
    if (proof.asks === "none") return renderNextStep(res, 200, link.login, noProof);
    renderForm(req, res, 200, link, proof);
  });

  router.post("/reset-password/:token", ipLimit(deps, "reset"), async (req, res, next) => {
    const link = await liveLink(req);
    if (!link) return renderLinkInvalid(res);
    const proof = await linkProof(deps, link.login.id);
    if (proof.asks === "none") return renderNextStep(res, 400, link.login, noProof);
    const ip = req.ip ?? null;
    const done = async (newPassword: string, provedWith: "questions" | FactorMethod) => {
      if (!(await completeReset(deps, link, newPassword, ip, provedWith))) return renderLinkInvalid(res);
      sendToSignIn(req, res, next, "Your password was changed and every session of your login signed out. Sign in with your new password.");
    };

    if (proof.asks === "factor") {
      const form = parseForm(codeForm, req.body);
      if (!form.ok) return renderForm(req, res, 400, link, proof, form.problems);
      const input = { newPassword: form.data.new_password, confirmPassword: form.data.confirm_password };
      // The rules that need no proof come first, so a code is spent only with a password that can be set.
      const early = await newPasswordProblems(deps, link.login.id, input, false);
      if (Object.keys(early).length) return renderForm(req, res, 400, link, proof, early);
      const proved = await proveLinkWithFactor(deps, link, form.data.code, ip);
      if (!proved.ok) return renderForm(req, res, 400, link, proof, proved.problems);
      const problems = await newPasswordProblems(deps, link.login.id, input);
      if (Object.keys(problems).length) return renderForm(req, res, 400, link, proof, { code: CODE_SPENT, ...problems }, true);
      return done(input.newPassword, proved.value);
    }

    const form = parseForm(answersForm, req.body);
    if (!form.ok) return renderForm(req, res, 400, link, proof, form.problems);
    const answers = await checkAnswers(deps, link, proof.questions, [form.data.answer1, form.data.answer2], ip);
    if (!answers.ok) {
      if (answers.triesLeft === 0) return renderNextStep(res, 400, link.login, "burnt");
      const tries = answers.triesLeft === 1 ? "1 more try" : `${answers.triesLeft} more tries`;
      return renderForm(req, res, 400, link, proof, { answer1: `The answers do not match the ones on file. This link allows ${tries}; below is who can reset your password if you cannot remember them.` });
    }

    const input = { newPassword: form.data.new_password, confirmPassword: form.data.confirm_password };
    const problems = await newPasswordProblems(deps, link.login.id, input);
    if (Object.keys(problems).length) return renderForm(req, res, 400, link, proof, problems, true);
    return done(input.newPassword, "questions");
  });

  return router;
}
