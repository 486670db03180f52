import type { RequestHandler } from "express";
import { isCustomer, isStaff, type Role } from "../shared/roles.js";
import { forbidden, HttpError, notFound } from "./errors.js";

export const requireSignedIn: RequestHandler = (req, res, next) => {
  if (req.user) return next();
  if (req.method === "GET" || req.method === "HEAD") return res.redirect(303, "/login");
  next(new HttpError(401, "Please sign in to continue."));
};

function requireRole(allowed: (role: Role) => boolean): RequestHandler[] {
  return [requireSignedIn, (req, _res, next) => next(allowed(req.user!.role) ? undefined : forbidden())];
}

/** Agents work the queue; admins are agents too. */
export const requireAgent = requireRole(isStaff);
export const requireAdmin = requireRole((r) => r === "admin");
export const requireCustomer = requireRole(isCustomer);
export const requirePrimary = requireRole((r) => r === "primary");

/**
 * Returns the object when the signed-in customer's account owns it (staff see every account).
 * Anything else is a 404, so another account's objects do not reveal that they exist.
 */
export function ownedByAccount<T extends { accountId: number | null }>(user: Express.User, object: T | null | undefined): T {
  if (!object) throw notFound();
  if (isStaff(user.role)) return object;
  if (user.accountId === null || object.accountId !== user.accountId) throw notFound();
  return object;
}
