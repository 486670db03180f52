import type { Request } from "express";
import type { AuditEntry } from "../platform/audit/audit-log.js";

/** Who did it and from where, for an audit entry of a signed-in request. */
export function auditActor(req: Request): Pick<AuditEntry, "actorId" | "actor" | "ip"> {
  return { actorId: req.user?.id ?? null, actor: req.user?.username ?? null, ip: req.ip ?? null };
}

