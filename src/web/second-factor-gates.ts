import type { NextFunction, Request, RequestHandler, Response } from "express";
import { pendingExpired, type PendingSignIn } from "../identity/index.js";
import type { Clock } from "../shared/clock.js";
import { isStaff, type Role } from "../shared/roles.js";
import { flash } from "./flash.js";
import { sessionOf } from "./request-meta.js";

declare module "express-session" {
  interface SessionData {
    /** A sign-in past its password, waiting for the second step; the session is not signed in meanwhile. */
    pendingSignIn: PendingSignIn;
  }
}

export type FactorPolicy = "required" | "optional";
export interface FactorPolicies {
  staff: FactorPolicy;
  customer: FactorPolicy;
}

export const factorRequired = (policies: FactorPolicies, role: Role): boolean => (isStaff(role) ? policies.staff : policies.customer) === "required";

export const SECOND_STEP_PATH = "/login/second-factor";
export const SECOND_STEP_PASSKEY_PATH = `${SECOND_STEP_PATH}/passkey`;
export const ENROLMENT_PATH = "/account/two-factor";
/** Where a login without a factor lands after a reset's forced change, when the policy does not require one. */
export const ENROLMENT_OFFER_PATH = "/account/two-factor-offer";

export const SECOND_STEP_EXPIRED = "The second step of your sign-in took longer than 5 minutes. Sign in again.";

/**
 * After a right password for a login with a factor: a new session holding only the pending
 * sign-in (nothing of the session before it), and the way to the second step.
 */
export function beginSecondStep(req: Request, res: Response, next: NextFunction, user: Express.User & { sessionEpoch: number }, clock: Clock): void {
  req.session.regenerate((err) => {
    if (err) return next(err);
    req.session.pendingSignIn = { userId: user.id, epoch: user.sessionEpoch, startedAt: clock.now().getTime() };
    res.redirect(303, SECOND_STEP_PATH);
  });
}

/** What a pending sign-in may reach: the second step (a code or a passkey), and the sign-in page to start over. */
const PENDING_ALLOWED = new Set([SECOND_STEP_PATH, `${SECOND_STEP_PATH}/cancel`, SECOND_STEP_PASSKEY_PATH, `${SECOND_STEP_PASSKEY_PATH}/options`, "/login"]);

/**
 * While a sign-in waits for its second step, every other page leads back to it (the session is
 * not signed in, so nothing past the password is reachable anyway); after 5 minutes it is dropped.
 */
export function secondStepGate(clock: Clock): RequestHandler {
  return (req, res, next) => {
    const pending = sessionOf(req)?.pendingSignIn;
    if (!pending || req.user) return next();
    if (pendingExpired(pending, clock.now())) {
      delete req.session.pendingSignIn;
      flash(req, "error", SECOND_STEP_EXPIRED);
      return req.path === "/login" ? next() : res.redirect(303, "/login");
    }
    if (PENDING_ALLOWED.has(req.path)) return next();
    res.redirect(303, SECOND_STEP_PATH);
  };
}

const enrolmentAllowed = (path: string) => path === "/logout" || path === ENROLMENT_PATH || path.startsWith(`${ENROLMENT_PATH}/`);

/**
 * A login the policy requires a factor of, without one, reaches only enrolment and sign-out
 * until it has set one up (like the forced password change). Decided from the login as read on
 * this request, so a factor removed in another session or a policy turned on applies at once.
 */
export function factorEnrolmentGate(policies: FactorPolicies): RequestHandler {
  return (req, res, next) => {
    // A forced password change goes first (forced-password-change.ts holds the login to it); enrolment comes after.
    if (!req.user || req.user.mustChangePassword || req.user.hasActiveFactor || !factorRequired(policies, req.user.role) || enrolmentAllowed(req.path)) return next();
    res.redirect(303, ENROLMENT_PATH);
  };
}
