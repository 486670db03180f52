import type { Knex } from "knex";
import type { Db } from "../shared/db.js";
import { hashPassword, verifyPassword } from "./password-hashing.js";

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

export interface StoredQuestion {
  position: number;
  question: string;
  answerHash: string;
}

export async function questionsOf(db: Db | Knex.Transaction, userId: number): Promise<StoredQuestion[]> {
  const rows: unknown = await db("security_questions").where({ user_id: userId }).orderBy("position");
  return (rows as Record<string, unknown>[]).map((r) => ({ position: Number(r.position), question: r.question as string, answerHash: r.answer_hash as string }));
}

export interface HashedQuestion {
  question: string;
  answerHash: string;
}

/** Answers are hashed like passwords, before any transaction: argon2 must not hold the database's writer. */
export function hashAnswers(pairs: { question: string; answer: string }[]): Promise<HashedQuestion[]> {
  return Promise.all(pairs.map(async (p) => ({ question: p.question, answerHash: await hashPassword(normaliseAnswer(p.answer)) })));
}

/** Replaces the login's two questions. */
export async function storeQuestions(trx: Knex.Transaction, userId: number, hashed: HashedQuestion[], now: Date): Promise<void> {
  await trx("security_questions").where({ user_id: userId }).delete();
  await trx("security_questions").insert(hashed.map((q, i) => ({ user_id: userId, position: i + 1, question: q.question, answer_hash: q.answerHash, created_at: now })));
}

export const answerMatches = (stored: StoredQuestion, answer: string) => verifyPassword(stored.answerHash, normaliseAnswer(answer));
