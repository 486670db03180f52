import type { RequestHandler } from "express";
import { HttpError } from "./errors.js";

export const NOT_HTTPS =
  "This desk answers only over HTTPS, through its proxy. This request did not come over HTTPS through a proxy the desk trusts: check that the proxy sets X-Forwarded-Proto and that TRUST_PROXY names it.";

/**
 * Production's session cookie is Secure, so a page served over plain HTTP (a proxy that does not
 * send X-Forwarded-Proto, a peer TRUST_PROXY does not name, a visit straight to the app's port)
 * could never keep anyone signed in. Such a request gets a page that says why, not a sign-in
 * form that fails every time.
 */
export const httpsOnly: RequestHandler = (req, _res, next) => next(req.secure ? undefined : new HttpError(403, NOT_HTTPS));
