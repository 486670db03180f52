import { csrfSync } from "csrf-sync";
import type { RequestHandler } from "express";
import { sessionOf } from "./request-meta.js";

/**
 * Synchroniser-token CSRF protection: one token per session, sent back by every form as
 * `_csrf`. Unsafe methods without the right token fail with EBADCSRFTOKEN (a 403 page).
 */
const { csrfSynchronisedProtection, generateToken } = csrfSync({
  getTokenFromRequest: (req) => (req.body as Record<string, unknown> | undefined)?._csrf as string | undefined,
});

export const csrfProtection: RequestHandler = csrfSynchronisedProtection;

/**
 * Makes the session's token available to every view as `csrfToken`. Lazily: a request
 * that renders no page (health checks, assets) does not create a session. None once the
 * error handler has let go of the session (the database is away): no form can be sent then.
 */
export const exposeCsrfToken: RequestHandler = (req, res, next) => {
  Object.defineProperty(res.locals, "csrfToken", { enumerable: true, get: () => (sessionOf(req) ? generateToken(req) : undefined) });
  next();
};
