import type { Request } from "express";
import type { Actor } from "../shared/actor.js";

/** The signed-in login making this request, as the domains' rules and the audit log see it. */
export function actorOf(req: Request): Actor {
  const user = req.user!;
  return { id: user.id, username: user.username, displayName: user.displayName, role: user.role, accountId: user.accountId, ip: req.ip ?? null };
}

/**
 * The request's session, or none: express-session types it as always there, but errors.ts drops
 * it when the session store is away, and a request the session middleware did not reach has none.
 */
export const sessionOf = (req: Express.Request): Express.Request["session"] | undefined => req.session;
