/**
 * Helpers of the self-service reset tests (forgot-password, reset-password): asking for a
 * link through the real form, reading it back out of the outbox, answering it.
 */
import { expect } from "chai";
import { afterResponseSettled } from "../../src/web/after-response.js";
import { hashAnswers, SECURITY_QUESTIONS } from "../../src/identity/security-questions.js";
import { storeQuestions } from "../../src/identity/security-questions-store.js";
import type { Agent } from "../support/http.js";
import type { TestApp } from "../support/test-app.js";
import { csrfToken } from "../support/forms.js";
import { linkTokenIn } from "../support/links.js";
import { outboxTo, type QueuedMail } from "../support/mail.js";
import { decryptPgpMime } from "../support/pgp.js";
import { userId } from "../support/users.js";

/** Any page with a form gives the session's CSRF token; this one always has one. */
const CSRF_PAGE = "/forgot-password";

export const QUESTION_1 = SECURITY_QUESTIONS[0];
export const QUESTION_2 = SECURITY_QUESTIONS[2];
export const ANSWER_1 = "Hillside Primary";
export const ANSWER_2 = "Biscuit";

/** POST /forgot-password as the browser, then waits for the work done after the answer. */
export async function askForLink(agent: Agent, username: string) {
  const _csrf = await csrfToken(agent, CSRF_PAGE);
  const res = await agent.post("/forgot-password").type("form").send({ _csrf, username });
  await afterResponseSettled();
  return res;
}

/** Gives the login two security questions, as the security-questions page would. */
export async function setQuestions(t: TestApp, username: string): Promise<void> {
  const id = await userId(t, username);
  const hashed = await hashAnswers([{ question: QUESTION_1, answer: ANSWER_1 }, { question: QUESTION_2, answer: ANSWER_2 }]);
  await t.db.transaction((trx) => storeQuestions(trx, id, hashed, t.clock.now()));
}

/** The reset-link mails queued to the address, oldest first. */
export const resetMailsTo = async (t: TestApp, recipient: string): Promise<QueuedMail[]> =>
  (await outboxTo(t, recipient)).filter((m) => m.template === "reset-password");

/** The reset token in a message's decoded plain text. */
export const resetTokenIn = (raw: string) => linkTokenIn(raw, "reset-password");

/**
 * The reset token of a queued mail: read from the text of a sealed mail (opened by outboxTo),
 * or of a PGP/MIME one decrypted with `privateKey` (by default the demo key of ACM0001).
 */
export async function resetTokenOf(mail: QueuedMail, privateKey?: string): Promise<string> {
  return resetTokenIn(mail.encrypted ? await decryptPgpMime(mail.message, privateKey) : mail.message);
}

/** Asks for a link for the login and returns the token of the mail that came. */
export async function freshLink(t: TestApp, agent: Agent, username: string, recipient: string): Promise<string> {
  const before = (await resetMailsTo(t, recipient)).length;
  expect((await askForLink(agent, username)).status).to.equal(200);
  const mails = await resetMailsTo(t, recipient);
  expect(mails, `a new reset mail to ${recipient}`).to.have.length(before + 1);
  return resetTokenOf(mails[mails.length - 1]!);
}

export interface ResetForm {
  answer1?: string;
  answer2?: string;
  new_password?: string;
  confirm_password?: string;
}

/** POST /reset-password/:token with the session's CSRF token. */
export async function postReset(agent: Agent, token: string, form: ResetForm) {
  const _csrf = await csrfToken(agent, CSRF_PAGE);
  return agent.post(`/reset-password/${token}`).type("form").send({ _csrf, ...form });
}

/** The right answers and a new password (confirmed). */
export const rightAnswers = (password: string, confirm = password): ResetForm => ({ answer1: ANSWER_1, answer2: ANSWER_2, new_password: password, confirm_password: confirm });
