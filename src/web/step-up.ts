import type { Request, RequestHandler, Response } from "express";
import { hasPasskey } from "../identity/index.js";
import type { Clock } from "../shared/clock.js";
import type { Db } from "../shared/db.js";
import { sessionOf } from "./request-meta.js";

declare module "express-session" {
  interface SessionData {
    /** When this session last proved the login's second factor (sign-in's second step, enrolment, a step-up). */
    factorCheckedAt: number;
  }
}

export const STEP_UP_PATH = "/confirm-identity";

export interface StepUpDeps {
  /** Read to offer "Use a passkey" on the step-up page to a login with one. */
  db: Db;
  clock: Clock;
  /** STEP_UP_MINUTES in milliseconds. */
  stepUpMs: number;
}

/** Remembers that this session has just proved the login's second factor. */
export function noteFactorChecked(req: Request, clock: Clock): void {
  req.session.factorCheckedAt = clock.now().getTime();
}

/** When this session last proved the login's second factor; null when it never did. */
export function lastFactorCheck(req: Request): Date | null {
  const at = sessionOf(req)?.factorCheckedAt;
  return at === undefined ? null : new Date(at);
}

/** Whether the session proved its second factor within STEP_UP_MINUTES. */
export function factorCheckedRecently(req: Request, deps: StepUpDeps): boolean {
  const at = lastFactorCheck(req);
  return at !== null && deps.clock.now().getTime() - at.getTime() <= deps.stepUpMs;
}

/** A path on this desk to come back to after the check; anything else (another origin, a scheme) is home. */
export function localPath(path: unknown): string {
  return typeof path === "string" && path.length <= 300 && /^\/(?![/\\])[^\s\\]*$/.test(path) ? path : "/";
}

/** The page that asks for the code (or a passkey, with `passkeys`): the step it guards changed nothing and is repeated from `back` afterwards. */
export function renderStepUp(res: Response, status: number, back: string, problems: Record<string, string> = {}, refusedStep = false, passkeys = false): void {
  res.set("Cache-Control", "no-store");
  res.status(status).render("account/step-up", { title: "Confirm it is you", back: localPath(back), problems, refusedStep, passkeys });
}

/**
 * Before a dangerous step (a reset decision, a change to a login, a contact, a key, factors,
 * staff or settings): a login with a second factor must have proved it within STEP_UP_MINUTES,
 * or the step is refused with nothing changed and the page asks for the code, then sends the
 * user back to `back` to repeat the step. A login without a factor (only under an optional
 * policy) has nothing to ask; the approval checklist names it.
 */
export function requireStepUp(deps: StepUpDeps, back: (req: Request) => string): RequestHandler {
  return async (req, res, next) => {
    if (!req.user?.hasActiveFactor || factorCheckedRecently(req, deps)) return next();
    renderStepUp(res, 403, back(req), {}, true, await hasPasskey(deps.db, req.user.id));
  };
}

/**
 * The first factor of a login is added only soon after a sign-in (within STEP_UP_MINUTES of its
 * password or passkey): whoever sits at an unattended browser, or holds a stolen session cookie,
 * must not set up a factor of their own and shut the holder out. `late` answers otherwise.
 */
export function requireRecentSignInForFirstFactor(deps: StepUpDeps, late: (req: Request, res: Response) => void): RequestHandler {
  return (req, res, next) => {
    if (!req.user || req.user.hasActiveFactor) return next();
    const signedInAt = sessionOf(req)?.startedAt;
    if (signedInAt !== undefined && deps.clock.now().getTime() - signedInAt <= deps.stepUpMs) return next();
    late(req, res);
  };
}

export const firstFactorLate = (deps: StepUpDeps) =>
  `For your safety, two-step sign-in is first set up within ${Math.round(deps.stepUpMs / 60_000)} minutes of signing in, and your sign-in was longer ago than that. Sign out, sign in again, and set it up straight away. Nothing was changed.`;
