import type { RequestHandler } from "express";

/** What a login that must change its password may still reach. */
const ALLOWED = new Set(["/account/password", "/logout"]);

/**
 * A login with must-change-password set (a temporary password) reaches only the change
 * page and sign-out until it has set a password of its own.
 */
export const forcedPasswordChange: RequestHandler = (req, res, next) => {
  if (!req.user?.mustChangePassword || ALLOWED.has(req.path)) return next();
  res.redirect(303, "/account/password");
};
