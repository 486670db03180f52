import type { RequestHandler } from "express";
import type { Db } from "../shared/db.js";
import { isStaff } from "../shared/roles.js";
import { countAwaitingApprovalBy } from "../resets/index.js";

/**
 * The staff nav's "Awaiting my approval (n)": one count on reset_approvers' (user_id, …) index
 * per request of a signed-in agent or admin, through the read-only handle.
 */
export function exposeApprovalCount(reader: Db): RequestHandler {
  return async (req, res, next) => {
    if (req.user && isStaff(req.user.role)) res.locals.awaitingApproval = await countAwaitingApprovalBy(reader, req.user.id);
    next();
  };
}
