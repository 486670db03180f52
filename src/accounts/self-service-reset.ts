import type { Knex } from "knex";
import { appendAudit } from "../platform/audit/audit-log.js";
import { RECENT_CHANGE_MS } from "./vocabulary.js";
import { emailChangesBearingOn, hasOpenChangeObjection } from "./record-changes-store.js";
import { newToken } from "../shared/tokens.js";
import {
  answerMatches,
  applyPasswordByLink,
  countTokensSince,
  countWrongAnswers,
  findLoginByUsername,
  hasActiveFactor,
  issueLinkToken,
  lockLoginRow,
  proveWithFactor,
  codeProof,
  questionsOf,
  selfServiceLinkMail,
  spendLinksOf,
  type FactorDeps,
  type FactorMethod,
  type LiveLink,
  type Login,
  type PasswordChangeDeps,
  type StoredQuestion,
} from "../identity/index.js";
import type { Result } from "../shared/problems.js";
import { hours, minutes } from "../shared/clock.js";
import type { Db } from "../shared/db.js";
import { enqueue } from "../platform/mail/outbox-store.js";

/** A login gets at most this many self-service links an hour; past it, requests are silently dropped. */
export const LINKS_PER_LOGIN_PER_HOUR = 3;
/** Wrong answers that burn a link. */
export const MAX_WRONG_ANSWERS = 3;

/** With the factor settings: a code typed on the link's page counts toward the sign-in lockout. */
export interface SelfServiceDeps extends PasswordChangeDeps, FactorDeps {
  /** RESET_LINK_TTL_MINUTES */
  linkTtlMinutes: number;
  /** SECURITY_QUESTIONS=on: a login without a factor may prove itself with its questions. */
  securityQuestions: boolean;
}

/**
 * What the link asks beside itself (two channels, NIST SP 800-63B-4 §4.2): a code of the login's
 * second factor when it has one; else its two security questions, when they are set and the desk
 * uses them; else nothing, and the page says who can reset the password.
 */
export type LinkProof = { asks: "factor" } | { asks: "questions"; questions: StoredQuestion[] } | { asks: "none" };

export async function linkProof(deps: SelfServiceDeps, userId: number): Promise<LinkProof> {
  if (await hasActiveFactor(deps.db, userId)) return { asks: "factor" };
  const questions = deps.securityQuestions ? await resetQuestions(deps.db, userId) : [];
  return questions.length ? { asks: "questions", questions } : { asks: "none" };
}

type NotSent = "unknown_login" | "disabled" | "no_email" | "email_change_objected" | "recent_email_change" | "per_login_limit";

/**
 * Why a login gets no link, before counting; null when it may have one. A link never goes to
 * an address someone objected to having been set, nor, within the recent-change window, to one
 * somebody other than the login itself set: the old address was told and has that long to
 * object, and until then the way back in is the desk (a primary reset request, or the holder).
 */
async function refusal(db: Db, login: Login | null, now: Date): Promise<NotSent | null> {
  if (!login) return "unknown_login";
  if (login.disabledAt || (login.accountId !== null && login.accountStatus !== "active")) return "disabled";
  if (!login.email) return "no_email";
  const changes = await emailChangesBearingOn(db, login.id, new Date(now.getTime() - RECENT_CHANGE_MS));
  if (changes.some(hasOpenChangeObjection)) return "email_change_objected";
  if (changes.some((c) => c.changedBy !== login.id && c.createdAt.getTime() > now.getTime() - RECENT_CHANGE_MS)) return "recent_email_change";
  return null;
}

const overLimit = async (db: Db | Knex.Transaction, userId: number, now: Date) =>
  (await countTokensSince(db, userId, "reset", new Date(now.getTime() - hours(1)))) >= LINKS_PER_LOGIN_PER_HOUR;

/**
 * "Forgot password": for a real, enabled login with a registered email (and under its hourly
 * limit) a single-use link goes out through the outbox, replacing any earlier one. Nothing
 * here reaches the person who asked: the route has answered the same page before this runs.
 */
export async function sendResetLink(deps: SelfServiceDeps, username: string, ip: string | null): Promise<void> {
  const now = deps.clock.now();
  const login = await findLoginByUsername(deps.db, username);
  const notSent = (trx: Db | Knex.Transaction, reason: NotSent) =>
    appendAudit(trx, { action: "password.reset_link_not_sent", ip, subject: login ? `user:${login.id}` : null, details: login ? { reason, username: login.username } : { reason } }, now);

  const refused = await refusal(deps.db, login, now);
  if (refused || !login?.email) return notSent(deps.db, refused ?? "no_email");
  if (await overLimit(deps.db, login.id, now)) return notSent(deps.db, "per_login_limit");

  const token = newToken();
  const expiresAt = new Date(now.getTime() + minutes(deps.linkTtlMinutes));
  const { asks } = await linkProof(deps, login.id);
  const mail = await selfServiceLinkMail(deps, { ...login, email: login.email }, { url: `${deps.mailer.baseUrl}/reset-password/${token}`, expiresAt, asks });
  await deps.db.transaction(async (trx) => {
    // Parallel requests for one login queue here, so the limit and "one live link" hold.
    await lockLoginRow(trx, login.id);
    if (await overLimit(trx, login.id, now)) return notSent(trx, "per_login_limit");
    await issueLinkToken(trx, token, login.id, "reset", expiresAt, null, now);
    await enqueue(trx, mail, now);
    await appendAudit(
      trx,
      {
        action: "password.reset_link_sent",
        ip,
        subject: `user:${login.id}`,
        details: { username: login.username, email: mail.to, encrypted: mail.encrypted, expiresAt: expiresAt.toISOString() },
      },
      now,
    );
  });
}

/** The two questions a reset link asks, or none when the login has not set them. */
export async function resetQuestions(db: Db | Knex.Transaction, userId: number): Promise<StoredQuestion[]> {
  const questions = await questionsOf(db, userId);
  return questions.length >= 2 ? questions.slice(0, 2) : [];
}

/** Right answers, or how many tries the link has left (0: it is burnt). */
export type AnswerCheck = { ok: true } | { ok: false; triesLeft: number };

/** Compares the answers like passwords (both, always); a wrong pair counts against the link. */
export async function checkAnswers(deps: SelfServiceDeps, link: LiveLink, questions: StoredQuestion[], answers: string[], ip: string | null): Promise<AnswerCheck> {
  const matches = await Promise.all(questions.map((q, i) => answerMatches(q, answers[i] ?? "")));
  if (matches.every(Boolean)) return { ok: true };
  const now = deps.clock.now();
  const failures = await deps.db.transaction(async (trx) => {
    const counted = await countWrongAnswers(trx, link.token.id, MAX_WRONG_ANSWERS, now);
    const burnt = counted === null || counted >= MAX_WRONG_ANSWERS;
    await appendAudit(
      trx,
      { action: burnt ? "password.reset_link_burnt" : "password.reset_answers_wrong", ip, subject: `user:${link.login.id}`, details: { username: link.login.username, wrongAnswers: counted } },
      now,
    );
    return counted ?? MAX_WRONG_ANSWERS;
  });
  return { ok: false, triesLeft: Math.max(0, MAX_WRONG_ANSWERS - failures) };
}

/**
 * A code of the login's factor typed on the link's page: checked and spent as at sign-in, and
 * counted toward the same lockout (a locked login is refused, with nothing changed). The link
 * itself is not spent: a wrong code costs a sign-in attempt, not the link.
 */
export function proveLinkWithFactor(deps: SelfServiceDeps, link: LiveLink, code: string, ip: string | null): Promise<Result<FactorMethod>> {
  const { login } = link;
  const holder = { id: login.id, username: login.username, displayName: login.displayName, role: login.role, accountId: login.accountId, ip };
  return proveWithFactor(deps, holder, codeProof(deps, code, ip), "code", "password.reset_code_refused");
}

/**
 * Sets the new password: the link and every other live link of the login spent, must-change
 * and any lock cleared (a temporary password it replaces is redeemed), every session ended,
 * the notice mailed, audited. False when the link was spent by another request first.
 */
export function completeReset(deps: SelfServiceDeps, link: LiveLink, newPassword: string, ip: string | null, provedWith: "questions" | FactorMethod): Promise<boolean> {
  return applyPasswordByLink(deps, link, newPassword, { action: "password.reset_by_link", ip, details: { provedWith } }, async (trx) => {
    const now = deps.clock.now();
    await spendLinksOf(trx, link.login.id, now);
    if (link.login.mustChangePassword) await deps.onTemporaryPasswordReplaced?.(trx, link.login.id, now);
  });
}
