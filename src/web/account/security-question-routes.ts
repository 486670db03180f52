import { Router, type Response } from "express";
import { z } from "zod";
import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import { notFound } from "../errors.js";
import { flash } from "../flash.js";
import { requireCustomer } from "../guards.js";
import { actorOf } from "../request-meta.js";
import type { Problems } from "../../shared/problems.js";
import { parseForm } from "../validation.js";
import { normaliseAnswer, questionsOf, SECURITY_QUESTIONS, setSecurityQuestions } from "../../identity/index.js";

// Each message names its question: the summary above the form lists them together.
const question = (n: number) => z.enum(SECURITY_QUESTIONS, { error: `Question ${n}: choose a question from the list.` });
const answer = (n: number) =>
  z
    .string({ error: `Answer ${n}: enter an answer.` })
    .max(200, `Answer ${n}: answers are at most 200 characters.`)
    // eslint-disable-next-line @typescript-eslint/no-misused-spread -- counts code points on purpose, as passwordLength does
    .refine((a) => [...normaliseAnswer(a)].length >= 3, `Answer ${n}: answers need at least 3 characters.`);

const questionsForm = z
  .object({ question1: question(1), answer1: answer(1), question2: question(2), answer2: answer(2) })
  .refine((f) => f.question1 !== f.question2, { path: ["question2"], message: "Question 2: choose a different question from question 1." })
  .refine((f) => normaliseAnswer(f.answer1) !== normaliseAnswer(f.answer2), { path: ["answer2"], message: "Answer 2: give a different answer from answer 1." });

const TURNED_OFF = "Security questions are turned off on this desk: a “Forgot password” link asks a code of your two-step sign-in instead.";

/**
 * `GET/POST /account/security-questions`: a customer chooses two questions and answers. With
 * SECURITY_QUESTIONS=off (`enabled` false) the page says they are off and a post is 404: the form is not there.
 */
export function securityQuestionRoutes({ db, clock, enabled }: { db: Db; clock: Clock; enabled: boolean }): Router {
  const router = Router();
  router.use("/account/security-questions", ...requireCustomer);

  const render = async (res: Response, userId: number, status: number, problems: Problems = {}, values: Record<string, string> = {}) => {
    const current = await questionsOf(db, userId);
    res.status(status).render("account/security-questions", {
      title: "Security questions",
      questions: SECURITY_QUESTIONS,
      current: current.map((q) => q.question),
      values: { question1: current[0]?.question ?? "", question2: current[1]?.question ?? "", ...values },
      problems,
    });
  };

  router.get("/account/security-questions", (req, res) => (enabled ? render(res, req.user!.id, 200) : res.render("account/security-questions", { title: "Security questions", turnedOff: TURNED_OFF })));

  router.post("/account/security-questions", async (req, res) => {
    if (!enabled) throw notFound(TURNED_OFF);
    const form = parseForm(questionsForm, req.body);
    const body = req.body as Record<string, unknown>;
    const chosen = { question1: typeof body.question1 === "string" ? body.question1 : "", question2: typeof body.question2 === "string" ? body.question2 : "" };
    if (!form.ok) return render(res, req.user!.id, 400, form.problems, chosen);
    const { question1, answer1, question2, answer2 } = form.data;
    await setSecurityQuestions({ db, clock }, actorOf(req), [{ question: question1, answer: answer1 }, { question: question2, answer: answer2 }]);
    flash(req, "success", "Your security questions are saved.");
    res.redirect(303, "/account");
  });

  return router;
}
