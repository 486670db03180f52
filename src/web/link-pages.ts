import type { NextFunction, Request, RequestHandler, Response } from "express";
import { z } from "zod";
import type { Clock } from "../shared/clock.js";
import type { Db } from "../shared/db.js";
import { flash } from "./flash.js";
import { findLiveLink as findLiveLinkByToken, type LiveLink, type TokenPurpose } from "../identity/index.js";

/**
 * What the pages behind a mailed single-use link share (`/set-password/:token`,
 * `/reset-password/:token`): no Referer, one "no longer valid" page, the new-password
 * fields, and the fresh session afterwards (the password itself: identity/password-by-link.ts).
 */

const LINK_SPENT = "This link is no longer valid: it was used, replaced by a newer one, or it expired.";

/** The token is in the path: never let it leave in a Referer header. */
export const noReferrer: RequestHandler = (_req, res, next) => {
  res.set("Referrer-Policy", "no-referrer");
  next();
};

/** The one plain page for an unknown, used or expired link; it offers a new one. */
export const renderLinkInvalid = (res: Response) => res.status(404).render("auth/link-invalid", { title: "Link no longer valid", message: LINK_SPENT });

/** The live link whose token is in the path, or null (see identity/password-by-link.ts). */
export function findLiveLink(deps: { db: Db; clock: Clock }, req: Request, purpose: TokenPurpose): Promise<LiveLink | null> {
  const raw = req.params.token;
  return findLiveLinkByToken(deps, typeof raw === "string" ? raw : "", purpose);
}

/** The new password and its confirmation, as every link form names them. */
export const newPasswordFields = {
  new_password: z.string({ error: "Enter a new password." }).min(1, "Enter a new password.").max(1024, "That password is too long."),
  confirm_password: z.string({ error: "Enter the new password again." }).min(1, "Enter the new password again.").max(1024, "That password is too long."),
};

/**
 * After a password was set: a fresh session (every session of the login has ended, and the
 * browser may have held one), a message, and the sign-in page. Never signed in automatically.
 */
export function sendToSignIn(req: Request, res: Response, next: NextFunction, message: string): void {
  req.session.regenerate((err) => {
    if (err) return next(err);
    flash(req, "success", message);
    res.redirect(303, "/login");
  });
}
