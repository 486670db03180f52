import { auditedBy, type Actor } from "../shared/actor.js";
import type { Knex } from "knex";
import { appendAudit } from "../platform/audit/audit-log.js";
import { findLoginById } from "./users-store.js";
import type { Clock } from "../shared/clock.js";
import type { Db } from "../shared/db.js";
import { passwordChangedMail, type Mailer } from "../platform/mail/mailer.js";
import { enqueue } from "../platform/mail/outbox-store.js";
import { recentPasswordHashes, storePassword } from "./credentials-store.js";
import { hashPassword, verifyPassword } from "./password-hashing.js";
import { passwordProblems } from "./password-policy.js";
import type { PolicyName } from "./password-length.js";
import type { Problems } from "../shared/problems.js";

export interface PasswordChangeDeps {
  db: Db;
  clock: Clock;
  mailer: Mailer;
  policy: PolicyName;
  /** More work in the transaction that replaces a temporary password (the reset it came from is redeemed). */
  onTemporaryPasswordReplaced?: (trx: Knex.Transaction, userId: number, now: Date) => Promise<void>;
}

export interface NewPasswordInput {
  newPassword: string;
  confirmPassword: string;
}

/**
 * The checks every form that sets a password shares: the policy (with history) and the
 * confirmation. Returns the problems by field, or none. Without `history`, the rules that
 * compare with stored hashes are left out: they must never answer someone who has not
 * proved the current password (they would confirm a guess of it).
 */
export async function newPasswordProblems(deps: PasswordChangeDeps, userId: number, input: NewPasswordInput, history = true): Promise<Problems> {
  const login = await findLoginById(deps.db, userId);
  if (!login) return { new_password: "This login no longer exists." };
  const problems: Problems = {};
  const policyProblems = await passwordProblems(deps.policy, input.newPassword, {
    username: login.username,
    displayName: login.displayName,
    email: login.email,
    previousHashes: history ? await recentPasswordHashes(deps.db, userId) : [],
  });
  // Several unmet rules are a heading line and one line each, which the page shows as a list.
  if (policyProblems.length) problems.new_password = policyProblems.length === 1 ? policyProblems[0]! : [`The new password misses ${policyProblems.length} of the requirements:`, ...policyProblems].join("\n");
  if (input.newPassword !== input.confirmPassword) problems.confirm_password = "The two new passwords do not match.";
  return problems;
}

/** More work for the transaction that sets a password (spending a link's token); throwing rolls all back. */
export type Alongside = (trx: Knex.Transaction) => Promise<void>;

/** The password the holder proved they knew was changed, cleared or withdrawn before theirs was written. */
class PasswordReplacedMeanwhile extends Error {}

/**
 * Sets a login's new password as its holder chose it: history written, must-change and any
 * lock cleared, every session ended, a "your password was changed" mail queued, audited —
 * all in one transaction. With `replacing`, only over that hash (else PasswordReplacedMeanwhile).
 */
export async function applyNewPassword(
  deps: PasswordChangeDeps,
  userId: number,
  newPassword: string,
  audit: { action: string; actorId: number | null; actor: string | null; ip: string | null; details?: Record<string, unknown> },
  extra: { alongside?: Alongside; replacing?: string } = {},
): Promise<void> {
  const login = (await findLoginById(deps.db, userId))!;
  const hash = await hashPassword(newPassword);
  const notice = login.email ? await passwordChangedMail(deps.mailer, deps.clock, { ...login, email: login.email }) : null;
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    await extra.alongside?.(trx);
    if (!(await storePassword(trx, userId, hash, now, { replacing: extra.replacing }))) throw new PasswordReplacedMeanwhile();
    if (notice) await enqueue(trx, notice, now);
    await appendAudit(trx, { ...audit, subject: `user:${userId}`, details: { ...audit.details, username: login.username } }, now);
  });
}

/** Changing one's own password: the current one must be right, then the new one is applied. */
export async function changeOwnPassword(
  deps: PasswordChangeDeps,
  actor: Actor,
  input: NewPasswordInput & { currentPassword: string },
): Promise<Problems> {
  const login = await findLoginById(deps.db, actor.id);
  if (!login?.passwordHash || !(await verifyPassword(login.passwordHash, input.currentPassword))) {
    await appendAudit(deps.db, { action: "password.change_refused", ...auditedBy(actor), subject: `user:${actor.id}`, details: { reason: "wrong_current_password" } }, deps.clock.now());
    // The new password's other problems too, so the form is put right in one go; never the history rule.
    return { current_password: "The current password is not right.", ...(await newPasswordProblems(deps, actor.id, input, false)) };
  }
  const problems = await newPasswordProblems(deps, actor.id, input);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- new_password may well be unset; the rule misreads `??=` on an index signature (typescript-eslint#6632)
  if (input.newPassword === input.currentPassword) problems.new_password ??= "The new password must differ from the current one.";
  if (Object.keys(problems).length) return problems;
  const redeem = login.mustChangePassword ? deps.onTemporaryPasswordReplaced : undefined;
  try {
    await applyNewPassword(
      deps,
      actor.id,
      input.newPassword,
      { action: "password.changed", ...auditedBy(actor), details: { forced: login.mustChangePassword } },
      { alongside: redeem && ((trx) => redeem(trx, actor.id, deps.clock.now())), replacing: login.passwordHash },
    );
  } catch (err) {
    if (!(err instanceof PasswordReplacedMeanwhile)) throw err;
    return { current_password: "Your current password stopped working a moment ago (it was changed or withdrawn). Sign in again." };
  }
  return {};
}
