import type { Request, RequestHandler } from "express";
import { sessionOf } from "./request-meta.js";
import type { FlashKind } from "./request-types.js";

/** One-shot messages carried across a redirect in the session. */
export function flash(req: Request, kind: FlashKind, text: string): void {
  (req.session.flash ??= []).push({ kind, text });
}

export const exposeFlash: RequestHandler = (req, res, next) => {
  const session = sessionOf(req);
  res.locals.flash = session?.flash ?? [];
  if (session?.flash) delete session.flash;
  next();
};
