import { appendAudit } from "../platform/audit/audit-log.js";
import { auditedBy, type Actor } from "../shared/actor.js";
import type { Clock } from "../shared/clock.js";
import type { Db } from "../shared/db.js";
import { hashPassword, verifyPassword } from "./password-hashing.js";
import { storeQuestions, type HashedQuestion, type StoredQuestion } from "./security-questions-store.js";

/** The questions a customer may choose from; answers are facts only the holder knows. */
export const SECURITY_QUESTIONS = [
  "What was the name of your first school?",
  "In which town or city did your parents meet?",
  "What was the name of your first pet?",
  "What was the make and model of your first car?",
  "What is the name of the street you grew up on?",
  "What was your childhood nickname?",
  "What was the first concert you went to?",
  "In which town or city was your first job?",
] as const;

/** Answers compare without regard to case, accents' encoding, spacing or punctuation at the ends. */
export function normaliseAnswer(answer: string): string {
  return answer.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim().replace(/^[\s.!?,;:]+|[\s.!?,;:]+$/g, "");
}

/** Answers are hashed like passwords, before any transaction: argon2 must not hold the database's writer. */
export function hashAnswers(pairs: { question: string; answer: string }[]): Promise<HashedQuestion[]> {
  return Promise.all(pairs.map(async (p) => ({ question: p.question, answerHash: await hashPassword(normaliseAnswer(p.answer)) })));
}

/** The holder sets its own two questions and answers, replacing any before; audited with the questions, never the answers. */
export async function setSecurityQuestions(deps: { db: Db; clock: Clock }, holder: Actor, pairs: { question: string; answer: string }[]): Promise<void> {
  const now = deps.clock.now();
  const hashed = await hashAnswers(pairs);
  await deps.db.transaction(async (trx) => {
    await storeQuestions(trx, holder.id, hashed, now);
    await appendAudit(trx, { ...auditedBy(holder), action: "security_questions.set", subject: `user:${holder.id}`, details: { questions: pairs.map((p) => p.question) } }, now);
  });
}

export const answerMatches = (stored: StoredQuestion, answer: string) => verifyPassword(stored.answerHash, normaliseAnswer(answer));
