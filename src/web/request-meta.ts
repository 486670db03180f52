import type { Request } from "express";
import type { Actor } from "../shared/actor.js";
import type { AuditEntry } from "../platform/audit/audit-log.js";

/** The signed-in login making this request, as the domains' rules and the audit log see it. */
export function actorOf(req: Request): Actor {
  const user = req.user!;
  return { id: user.id, username: user.username, displayName: user.displayName, role: user.role, accountId: user.accountId, ip: req.ip ?? null };
}

/** Who did it and from where, for an audit entry of a signed-in request. */
export function auditActor(req: Request): Pick<AuditEntry, "actorId" | "actor" | "ip"> {
  return { actorId: req.user?.id ?? null, actor: req.user?.username ?? null, ip: req.ip ?? null };
}

