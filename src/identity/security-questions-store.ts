import type { Knex } from "knex";
import type { Db } from "../shared/db.js";

export interface StoredQuestion {
  position: number;
  question: string;
  answerHash: string;
}

export interface HashedQuestion {
  question: string;
  answerHash: string;
}

/** The login's questions, in order, with their answers' hashes. */
export async function questionsOf(db: Db | Knex.Transaction, userId: number): Promise<StoredQuestion[]> {
  const rows: unknown = await db("security_questions").where({ user_id: userId }).orderBy("position");
  return (rows as Record<string, unknown>[]).map((r) => ({ position: Number(r.position), question: r.question as string, answerHash: r.answer_hash as string }));
}

/** Replaces the login's two questions. */
export async function storeQuestions(trx: Knex.Transaction, userId: number, hashed: HashedQuestion[], now: Date): Promise<void> {
  await trx("security_questions").where({ user_id: userId }).delete();
  await trx("security_questions").insert(hashed.map((q, i) => ({ user_id: userId, position: i + 1, question: q.question, answer_hash: q.answerHash, created_at: now })));
}
