import { appendAudit } from "../../platform/audit/audit-log.js";
import { auditedBy, type Actor } from "../../shared/actor.js";
import { done, type Result } from "../../shared/problems.js";
import { proveWithFactor, type FactorDeps } from "./second-factors.js";

/**
 * A second-factor check asked again before a dangerous step (ASVS v5 7.5): a current code of the
 * signed-in login's factor, spent and counted toward the sign-in lockout like any code.
 */
export async function confirmStepUp(deps: FactorDeps, actor: Actor, code: string): Promise<Result<"totp" | "recovery_code">> {
  const proof = await proveWithFactor(deps, actor, code, "code", "step_up.refused");
  if (!proof.ok) return proof;
  await appendAudit(deps.db, { ...auditedBy(actor), action: "step_up.confirmed", subject: `user:${actor.id}`, details: { method: proof.value } }, deps.clock.now());
  return done(proof.value);
}
