import express, { type Express } from "express";
import { createPassport } from "./auth/passport.js";
import { adminLoginRoutes } from "./accounts/admin-login-routes.js";
import { adminRoutes } from "./accounts/admin-routes.js";
import { accountKeyRoutes } from "./accounts/key-routes.js";
import { primaryConsoleRoutes } from "./accounts/primary-console-routes.js";
import { recordChangeRoutes } from "./accounts/record-change-routes.js";
import { accountRoutes } from "./auth/account-routes.js";
import { forcedPasswordChange } from "./auth/forced-change.js";
import { forgotPasswordRoutes } from "./auth/forgot-password-routes.js";
import { resetPasswordRoutes } from "./auth/reset-password-routes.js";
import { authRoutes } from "./auth/routes.js";
import { securityQuestionRoutes } from "./auth/security-question-routes.js";
import { setPasswordRoutes } from "./auth/set-password-routes.js";
import { saveSessionBeforeResponse, sessionCookieName, sessionMiddleware, sessionTimeouts } from "./auth/sessions.js";
import type { Clock } from "./clock.js";
import type { Config } from "./config.js";
import type { Db } from "./db.js";
import type { Logger } from "./logger.js";
import { mailAdminRoutes } from "./mail/admin-routes.js";
import { auditAdminRoutes } from "./audit/admin-routes.js";
import type { Mailer } from "./mail/mailer.js";
import { deskKeyRoute } from "./mail/public-routes.js";
import type { Scheduler } from "./tasks/scheduler.js";
import { taskAdminRoutes } from "./tasks/admin-routes.js";
import { publicDir } from "./paths.js";
import { resetDecisionRoutes } from "./resets/decision-routes.js";
import { objectionRoutes } from "./resets/objection-routes.js";
import { withdrawOnChangeObjection } from "./resets/objection-service.js";
import { redeemTemporaryPassword } from "./resets/redemption.js";
import { resetRequestRoutes } from "./resets/request-routes.js";
import { deskRoutes } from "./tickets/desk-routes.js";
import { homeRoutes } from "./tickets/home-routes.js";
import { noticeRoutes } from "./tickets/notice-routes.js";
import { portalRoutes } from "./tickets/portal-routes.js";
import { csrfProtection, exposeCsrfToken } from "./web/csrf.js";
import { errorHandler, notFoundHandler } from "./web/errors.js";
import { exposeFlash } from "./web/flash.js";
import { httpsOnly } from "./web/https-only.js";
import { refuseNulCharacters } from "./web/validation.js";
import { accessLog } from "./web/access-log.js";
import { securityHeaders } from "./web/security-headers.js";
import { useViews } from "./web/views.js";
import "./web/request-types.js";

export interface AppDeps {
  config: Config;
  db: Db;
  /** Read-only handle for the hot read paths (see openReader). */
  reader: Db;
  logger: Logger;
  clock: Clock;
  sessionSecret: string;
  mailer: Mailer;
  scheduler: Scheduler;
}

/** A hop count trusts whoever is nearest, the proxy or not: said once at start-up (README, "Running in production"). */
export const TRUST_HOPS_WARNING =
  "TRUST_PROXY is a hop count: a client that reaches PORT without the proxy chooses its own address (X-Forwarded-For) and passes as HTTPS (X-Forwarded-Proto). Make PORT reachable only from the proxy, or set TRUST_PROXY to loopback or the proxy's addresses.";

/** The web application; the order of the middleware below is the security design. */
export function createApp(deps: AppDeps): Express {
  const { config, db, reader, logger, clock, mailer, scheduler } = deps;
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  // Who may set X-Forwarded-For and X-Forwarded-Proto: req.ip, req.secure and the Secure cookie depend on it.
  app.set("trust proxy", config.trustProxy);
  if (typeof config.trustProxy === "number") logger.warn({ trustProxy: config.trustProxy }, TRUST_HOPS_WARNING);
  useViews(app, config.production);

  // The access log is at info; above it, pino-http would still build a logger per request for nothing.
  if (logger.isLevelEnabled("info")) app.use(accessLog(logger));
  app.use(securityHeaders(config.production));
  // Only paths that look like files reach the disk: pages skip the stat call altogether.
  const assets = express.static(publicDir, { index: false, maxAge: config.production ? "1d" : 0 });
  app.use((req, res, next) => (/\.[a-z0-9]+$/i.test(req.path) ? assets(req, res, next) : next()));

  app.use(deskKeyRoute(mailer.deskKey));
  app.get("/healthz", async (_req, res) => {
    try {
      // A read connection: on SQLite the one writer may be queued behind sign-ins' writes.
      await reader.raw("select 1");
      res.type("text").send("ok");
    } catch {
      res.status(503).type("text").send("database unavailable");
    }
  });

  if (config.production) app.use(httpsOnly);
  app.use(express.urlencoded({ extended: false, limit: "100kb", parameterLimit: 100 }));
  app.use(sessionMiddleware(db, reader, deps.sessionSecret, config.production));
  app.use(saveSessionBeforeResponse);
  app.use(sessionTimeouts(clock));
  const passport = createPassport({ db, reader, clock, login: config.login });
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(csrfProtection);
  app.use(exposeCsrfToken);
  app.use(exposeFlash);
  app.use(refuseNulCharacters);
  app.use(forcedPasswordChange);
  app.use((req, res, next) => {
    res.locals.user = req.user;
    res.locals.path = req.path;
    next();
  });

  app.use(authRoutes({ db, clock, passport, loginIpLimit: config.login.ipLimit, cookieName: sessionCookieName(config.production) }));
  const passwordDeps = { db, clock, mailer, policy: config.passwordPolicy, onTemporaryPasswordReplaced: redeemTemporaryPassword };
  app.use(accountRoutes(passwordDeps));
  app.use(setPasswordRoutes(passwordDeps));
  app.use(forgotPasswordRoutes({ ...passwordDeps, logger, linkTtlMinutes: config.resetLinkTtlMinutes }));
  app.use(resetPasswordRoutes({ ...passwordDeps, linkTtlMinutes: config.resetLinkTtlMinutes }));
  app.use(securityQuestionRoutes({ db, clock }));
  app.use(accountKeyRoutes({ db, clock, mailer }));
  app.use(primaryConsoleRoutes({ db, clock, mailer }));
  const ticketDeps = { db, clock, mailer };
  app.use(homeRoutes({ ...ticketDeps, reader }));
  app.use(portalRoutes(ticketDeps));
  app.use(noticeRoutes({ db, clock }));
  app.use(deskRoutes({ ...ticketDeps, reader, resetTwoPerson: config.resetTwoPerson }));
  app.use(resetRequestRoutes({ db, clock, mailer }));
  app.use(objectionRoutes({ db, clock, mailer }));
  app.use(resetDecisionRoutes({ db, clock, mailer, twoPerson: config.resetTwoPerson, tempPasswordTtlHours: config.tempPasswordTtlHours }));
  app.use(adminRoutes({ db, clock, mailer }));
  app.use(adminLoginRoutes({ db, clock, mailer }));
  app.use(recordChangeRoutes({ db, clock, mailer, onChangeObjected: withdrawOnChangeObjection({ db, clock, mailer }) }));
  app.use(mailAdminRoutes({ db, clock, config, mailer, scheduler }));
  app.use(auditAdminRoutes({ db, clock }));
  app.use(taskAdminRoutes({ db, clock, scheduler }));

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
