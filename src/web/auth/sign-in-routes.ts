import { Router, type RequestHandler, type Response } from "express";
import { SECOND_STEP, type createPassport } from "../passport.js";
import { beginSecondStep, ENROLMENT_OFFER_PATH } from "../second-factor-gates.js";
import { z } from "zod";
import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import { requireSignedIn } from "../guards.js";
import { ipLimit } from "../ip-limits.js";
import type { Problems } from "../../shared/problems.js";
import { parseForm } from "../validation.js";
import { startSessionClock } from "../sessions.js";
import { recordSignOut, type SignInFailure } from "../../identity/index.js";
import { actorOf } from "../request-meta.js";

const signInForm = z.object({
  username: z.string().trim().min(1, "Enter your username.").max(64, "Usernames are at most 64 characters."),
  password: z.string().min(1, "Enter your password.").max(1024, "That password is too long."),
});

const GENERIC_FAILURE = "Sign-in failed: the username or password is wrong, or the login cannot sign in right now. Try again, or use “Forgot password”.";
export const FAILURE_MESSAGES: Record<SignInFailure, string> = {
  bad_credentials: GENERIC_FAILURE,
  locked: GENERIC_FAILURE,
  disabled: GENERIC_FAILURE,
  temporary_password_expired:
    "Your temporary password has expired. Ask an authorised contact of your account to open a new “Primary account password reset request”.",
};

interface AuthRouteDeps {
  db: Db;
  clock: Clock;
  passport: ReturnType<typeof createPassport>;
  loginIpLimit: number;
  cookieName: string;
}

/** The sign-in page: the password form, and "Sign in with a passkey" (passkey-sign-in-routes.ts). */
export const renderSignIn = (res: Response, status: number, opts: { username?: string; problems?: Problems; error?: string } = {}) =>
  res.status(status).render("auth/login", {
    title: "Sign in",
    values: { username: opts.username ?? "" },
    problems: opts.problems ?? {},
    error: opts.error,
  });

export function authRoutes({ db, clock, passport, loginIpLimit, cookieName }: AuthRouteDeps): Router {
  const router = Router();

  const signInLimit = ipLimit({ db, clock }, "login", loginIpLimit);

  router.get("/login", (req, res) => {
    if (req.user) return res.redirect(303, "/");
    renderSignIn(res, 200);
  });

  router.post("/login", signInLimit, (req, res, next) => {
    const body = req.body as Record<string, unknown>;
    const typed = typeof body.username === "string" ? body.username : "";
    const form = parseForm(signInForm, body);
    if (!form.ok) return renderSignIn(res, 400, { username: typed, problems: form.problems });
    body.username = form.data.username;
    const authenticate = passport.authenticate("local", (err: unknown, user: (Express.User & { sessionEpoch: number }) | false, info?: { message: SignInFailure | typeof SECOND_STEP }) => {
      if (err) return next(err);
      if (!user) return renderSignIn(res, 401, { username: typed, error: FAILURE_MESSAGES[(info?.message as SignInFailure | undefined) ?? "bad_credentials"] });
      if (info?.message === SECOND_STEP) return beginSecondStep(req, res, next, user, clock);
      // Read before req.login regenerates the session: a new id, nothing carried over from before sign-in.
      const offer = req.session.enrolmentOffer === true && !user.hasActiveFactor;
      req.login(user, (loginErr) => {
        if (loginErr) return next(loginErr);
        startSessionClock(req, clock);
        // Past the password without a factor the policy requires: the enrolment gate keeps it to enrolment (second-factor-gates.ts).
        res.redirect(303, user.mustChangePassword ? "/account/password" : offer ? ENROLMENT_OFFER_PATH : "/");
      });
    }) as RequestHandler;
    authenticate(req, res, next);
  });

  router.post("/logout", requireSignedIn, async (req, res, next) => {
    await recordSignOut({ db, clock }, actorOf(req));
    req.session.destroy((err) => {
      if (err) return next(err);
      res.clearCookie(cookieName, { path: "/" });
      res.redirect(303, "/login?signed_out=1");
    });
  });

  return router;
}
