import { appendAudit } from "../../platform/audit/audit-log.js";
import { auditedBy, type Actor } from "../../shared/actor.js";
import { done, type Result } from "../../shared/problems.js";
import { proveWithFactor, type FactorDeps, type FactorMethod, type FactorProof } from "./second-factors.js";

/**
 * A second-factor check asked again before a dangerous step (ASVS v5 7.5): a proof of the
 * signed-in login's factor (a current code, a passkey), spent and counted toward the sign-in
 * lockout like any code.
 */
export async function confirmStepUp(deps: FactorDeps, actor: Actor, proof: FactorProof): Promise<Result<FactorMethod>> {
  // The problem shows beside what was used: the code's field, or the passkey's button.
  const proved = await proveWithFactor(deps, actor, proof, proof.kind, "step_up.refused");
  if (!proved.ok) return proved;
  await appendAudit(deps.db, { ...auditedBy(actor), action: "step_up.confirmed", subject: `user:${actor.id}`, details: { method: proved.value } }, deps.clock.now());
  return done(proved.value);
}
