import type { Request, RequestHandler } from "express";
import type { FlashKind } from "./request-types.js";

/** One-shot messages carried across a redirect in the session. */
export function flash(req: Request, kind: FlashKind, text: string): void {
  (req.session.flash ??= []).push({ kind, text });
}

export const exposeFlash: RequestHandler = (req, res, next) => {
  res.locals.flash = req.session?.flash ?? [];
  if (req.session?.flash) delete req.session.flash;
  next();
};
