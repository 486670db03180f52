import type { Request } from "express";
import type { Actor } from "../shared/actor.js";

/** The signed-in login making this request, as the domains' rules and the audit log see it. */
export function actorOf(req: Request): Actor {
  const user = req.user!;
  return { id: user.id, username: user.username, displayName: user.displayName, role: user.role, accountId: user.accountId, ip: req.ip ?? null };
}
