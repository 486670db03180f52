import type { NextFunction, Request, RequestHandler, Response } from "express";
import { z } from "zod";
import { findLoginById, type Login } from "../identity/users-store.js";
import type { Clock } from "../shared/clock.js";
import type { Db } from "../shared/db.js";
import { HttpError } from "./errors.js";
import { flash } from "./flash.js";
import { applyNewPassword, type Alongside, type PasswordChangeDeps } from "../identity/password-change.js";
import { findLiveToken, spendToken, type StoredToken, type TokenPurpose } from "../identity/link-tokens-store.js";

/**
 * What the pages behind a mailed single-use link share (`/set-password/:token`,
 * `/reset-password/:token`): no Referer, one "no longer valid" page, the new-password
 * fields, and spending the token in the same transaction as the new password.
 */

export const LINK_SPENT = "This link is no longer valid: it was used, replaced by a newer one, or it expired.";

/** The token is in the path: never let it leave in a Referer header. */
export const noReferrer: RequestHandler = (_req, res, next) => {
  res.set("Referrer-Policy", "no-referrer");
  next();
};

/** The one plain page for an unknown, used or expired link; it offers a new one. */
export const renderLinkInvalid = (res: Response) => res.status(404).render("auth/link-invalid", { title: "Link no longer valid", message: LINK_SPENT });

export interface LiveLink {
  token: StoredToken;
  login: Login;
}

/** The link's token and login when the token is live and the login may still use it; else null. */
export async function findLiveLink(deps: { db: Db; clock: Clock }, req: Request, purpose: TokenPurpose): Promise<LiveLink | null> {
  const raw = req.params.token;
  const token = await findLiveToken(deps.db, typeof raw === "string" ? raw : "", purpose, deps.clock.now());
  const login = token ? await findLoginById(deps.db, token.userId) : null;
  if (!token || !login || login.disabledAt) return null;
  return { token, login };
}

/** The new password and its confirmation, as every link form names them. */
export const newPasswordFields = {
  new_password: z.string({ error: "Enter a new password." }).min(1, "Enter a new password.").max(1024, "That password is too long."),
  confirm_password: z.string({ error: "Enter the new password again." }).min(1, "Enter the new password again.").max(1024, "That password is too long."),
};

/**
 * Sets the password the holder chose through a link, spending the token in the same
 * transaction (and whatever else `alongside` does there). False when another request
 * spent the token first: nothing was changed.
 */
export async function applyPasswordByLink(
  deps: PasswordChangeDeps,
  link: LiveLink,
  newPassword: string,
  audit: { action: string; ip: string | null },
  alongside?: Alongside,
): Promise<boolean> {
  const now = deps.clock.now();
  try {
    await applyNewPassword(deps, link.login.id, newPassword, { ...audit, actorId: link.login.id, actor: link.login.username }, {
      alongside: async (trx) => {
        if (!(await spendToken(trx, link.token.id, now))) throw new HttpError(404, LINK_SPENT);
        await alongside?.(trx);
      },
    });
    return true;
  } catch (err) {
    if (err instanceof HttpError) return false;
    throw err;
  }
}

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
