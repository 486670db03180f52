import express, { type Express, type Router } from "express";
import { createPassport } from "../web/passport.js";
import { adminLoginRoutes } from "../web/admin/login-routes.js";
import { adminRoutes } from "../web/admin/account-routes.js";
import { accountKeyRoutes } from "../web/account/key-routes.js";
import { primaryConsoleRoutes } from "../web/account/primary-console-routes.js";
import { recordChangeRoutes } from "../web/admin/record-change-routes.js";
import { changeObjectionRoutes } from "../web/resets/change-objection-routes.js";
import { accountRoutes } from "../web/account/password-routes.js";
import { forcedPasswordChange } from "../web/forced-password-change.js";
import { exposeViewerTimeZone } from "../web/view-helpers.js";
import { timeZoneRoutes } from "../web/account/time-zone-routes.js";
import { factorEnrolmentGate, secondStepGate } from "../web/second-factor-gates.js";
import { secondStepRoutes } from "../web/auth/second-step-routes.js";
import { twoFactorRoutes } from "../web/account/two-factor-routes.js";
import { stepUpRoutes } from "../web/account/step-up-routes.js";
import { passkeyRoutes } from "../web/account/passkey-routes.js";
import { passkeySignInRoutes } from "../web/auth/passkey-sign-in-routes.js";
import { passkeyBrowserScript } from "../web/passkey-script.js";
import { relyingPartyOf } from "../identity/index.js";
import type { DataKey } from "../shared/sealing.js";
import { forgotPasswordRoutes } from "../web/auth/forgot-password-routes.js";
import { resetPasswordRoutes } from "../web/auth/reset-password-routes.js";
import { authRoutes } from "../web/auth/sign-in-routes.js";
import { securityQuestionRoutes } from "../web/account/security-question-routes.js";
import { setPasswordRoutes } from "../web/auth/set-password-routes.js";
import { saveSessionBeforeResponse, sessionCookieName, sessionMiddleware, sessionTimeouts } from "../web/sessions.js";
import type { Clock } from "../shared/clock.js";
import type { Config } from "../shared/config.js";
import type { Db } from "../shared/db.js";
import type { Logger } from "../shared/logger.js";
import { inboundAdminRoutes } from "../web/admin/inbound-routes.js";
import { mailAdminRoutes } from "../web/admin/mail-routes.js";
import { settingsRoutes } from "../web/admin/settings-routes.js";
import { auditAdminRoutes } from "../web/admin/audit-routes.js";
import { appendAudit } from "../platform/audit/audit-log.js";
import type { Mailer } from "../platform/mail/mailer.js";
import { deskKeyRoute } from "../web/portal/desk-key-routes.js";
import { openMessageRoutes, openpgpBrowserRoute } from "../web/auth/open-message-routes.js";
import type { Scheduler } from "../platform/tasks/scheduler.js";
import { taskAdminRoutes } from "../web/admin/task-routes.js";
import { slaAdminRoutes } from "../web/admin/sla-routes.js";
import { cannedReplyRoutes } from "../web/admin/canned-reply-routes.js";
import { publicDir } from "../shared/paths.js";
import { resetDecisionRoutes } from "../web/desk/decision-routes.js";
import { objectionRoutes } from "../web/resets/objection-routes.js";
import { redeemTemporaryPassword, withdrawOnChangeObjection } from "../resets/index.js";
import { resetRequestRoutes } from "../web/resets/request-routes.js";
import { deskQueueHandler, deskRoutes } from "../web/desk/desk-routes.js";
import { homeRoutes } from "../web/home-routes.js";
import { noticeRoutes } from "../web/account/notification-routes.js";
import { exposeApprovalCount } from "../web/approval-count.js";
import { customerListHandler, portalRoutes } from "../web/portal/portal-routes.js";
import { csrfProtection, exposeCsrfToken } from "../web/csrf.js";
import { readUploads } from "../web/attachments.js";
import { errorHandler, notFoundHandler } from "../web/errors.js";
import { exposeFlash } from "../web/flash.js";
import { httpsOnly } from "../web/https-only.js";
import { refuseNulCharacters } from "../web/validation.js";
import { accessLog } from "../web/access-log.js";
import { healthRoutes } from "../web/health-routes.js";
import { metricsRoutes } from "../web/metrics-routes.js";
import { requestMetrics } from "../web/request-metrics.js";
import type { DeskMetrics } from "../platform/metrics/desk-metrics.js";
import { deskMetrics } from "./metrics.js";
import { securityHeaders } from "../web/security-headers.js";
import { useViews } from "../web/views.js";
import "../web/request-types.js";

export interface AppDeps {
  config: Config;
  db: Db;
  /** Read-only handle for the hot read paths (see openReader). */
  reader: Db;
  logger: Logger;
  clock: Clock;
  sessionSecret: string;
  /** Seals factor secrets (resolveDataKey). */
  dataKey: DataKey;
  mailer: Mailer;
  scheduler: Scheduler;
  /** The process's metrics, when it also serves them on METRICS_PORT; else the app makes its own. */
  metrics?: DeskMetrics;
  /** Routes behind the whole stack, after the app's own: the bench's bare-stack page (scripts/bench); the product mounts none. */
  extraRoutes?: Router;
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

  // Probes and scrapes first, over plain HTTP too: no access log line, no session, no timing of their own.
  const metrics = deps.metrics ?? deskMetrics({ reader, clock, scheduler });
  app.use(healthRoutes({ reader, clock, inlineTasks: config.worker === "inline" ? () => scheduler.states() : null }));
  app.use(metricsRoutes(metrics, config.metrics.token));
  // The access log is at info; above it, pino-http would still build a logger per request for nothing.
  if (logger.isLevelEnabled("info")) app.use(accessLog(logger));
  app.use(securityHeaders(config.production));
  // Only paths that look like files reach the disk: pages skip the stat call altogether.
  const assets = express.static(publicDir, { index: false, maxAge: config.production ? "1d" : 0 });
  app.use((req, res, next) => (/\.[a-z0-9]+$/i.test(req.path) ? assets(req, res, next) : next()));
  app.use(requestMetrics(metrics));

  app.use(deskKeyRoute(mailer.deskKey));
  app.use(openpgpBrowserRoute(config.production));
  app.use(passkeyBrowserScript(config.production));

  if (config.production) app.use(httpsOnly);
  app.use(express.urlencoded({ extended: false, limit: "100kb", parameterLimit: 100 }));
  app.use(sessionMiddleware(db, reader, deps.sessionSecret, config.production));
  app.use(saveSessionBeforeResponse);
  app.use(sessionTimeouts(clock));
  // Every refused guess (password, code, passkey) reaches the sign-in counters through identity's deps.
  const signInDeps = { clock, login: config.login, onRefusedGuess: (lockedIt: boolean) => metrics.countRefusedGuess(lockedIt) };
  const passport = createPassport({ db, reader, ...signInDeps });
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(exposeViewerTimeZone(config.timeZone));
  // Multipart forms carry their `_csrf` in the body too: read before the check (web/attachments.ts).
  app.use(readUploads(config.attachmentMaxBytes));
  app.use(csrfProtection);
  app.use(exposeCsrfToken);
  app.use(secondStepGate(clock));
  app.use(exposeFlash);
  app.use(refuseNulCharacters);
  app.use(forcedPasswordChange);
  app.use(factorEnrolmentGate(config.secondFactor));
  app.use((req, res, next) => {
    res.locals.user = req.user;
    res.locals.path = req.path;
    // The queue's view, so the nav marks "Awaiting my approval" rather than "Queue" on that view.
    res.locals.view = typeof req.query.view === "string" ? req.query.view : "";
    next();
  });
  app.use(exposeApprovalCount(reader));

  const factorDeps = { db, mailer, dataKey: deps.dataKey, ...signInDeps, factorPolicies: config.secondFactor, stepUpMs: config.stepUpMs, relyingParty: relyingPartyOf(config.baseUrl) };
  app.use(authRoutes({ db, clock, passport, loginIpLimit: config.login.ipLimit, cookieName: sessionCookieName(config.production) }));
  app.use(openMessageRoutes(mailer.deskKey));
  app.use(secondStepRoutes(factorDeps));
  app.use(passkeySignInRoutes(factorDeps));
  app.use(twoFactorRoutes(factorDeps));
  app.use(passkeyRoutes(factorDeps));
  app.use(stepUpRoutes(factorDeps));
  const passwordDeps = { db, clock, mailer, policy: config.passwordPolicy, onTemporaryPasswordReplaced: redeemTemporaryPassword({ db, clock, mailer }) };
  app.use(accountRoutes(passwordDeps));
  app.use(setPasswordRoutes(passwordDeps));
  const selfServiceDeps = { ...passwordDeps, dataKey: deps.dataKey, ...signInDeps, linkTtlMinutes: config.resetLinkTtlMinutes, securityQuestions: config.securityQuestions };
  app.use(forgotPasswordRoutes({ ...selfServiceDeps, logger }));
  app.use(resetPasswordRoutes(selfServiceDeps));
  app.use(securityQuestionRoutes({ db, clock, enabled: config.securityQuestions }));
  const stepUpMs = config.stepUpMs;
  app.use(accountKeyRoutes({ db, clock, mailer, stepUpMs }));
  app.use(primaryConsoleRoutes({ db, clock, mailer, stepUpMs }));
  const ticketDeps = { db, clock, mailer };
  app.use(homeRoutes({ staff: deskQueueHandler({ ...ticketDeps, reader }), customer: customerListHandler(ticketDeps) }));
  app.use(portalRoutes({ ...ticketDeps, attachmentMaxBytes: config.attachmentMaxBytes }));
  app.use(noticeRoutes({ db, clock }));
  app.use(timeZoneRoutes({ db, clock, deskTimeZone: config.timeZone }));
  app.use(deskRoutes({ ...ticketDeps, reader, resetTwoPerson: config.resetTwoPerson, keylessDelivery: config.keylessDelivery, attachmentMaxBytes: config.attachmentMaxBytes }));
  app.use(resetRequestRoutes({ db, clock, mailer, keylessDelivery: config.keylessDelivery }));
  const approvalPolicy = { twoPerson: config.resetTwoPerson, keylessDelivery: config.keylessDelivery };
  app.use(objectionRoutes({ db, clock, mailer, ...approvalPolicy }));
  const decisionDeps = { db, clock, mailer, stepUpMs, dataKey: deps.dataKey, keylessDelivery: config.keylessDelivery };
  app.use(resetDecisionRoutes({ ...decisionDeps, twoPerson: config.resetTwoPerson, tempPasswordTtlHours: config.tempPasswordTtlHours }));
  app.use(adminRoutes({ db, clock, mailer, stepUpMs }));
  app.use(adminLoginRoutes({ db, clock, mailer, stepUpMs }));
  app.use(changeObjectionRoutes({ db, clock, mailer, onChangeObjected: withdrawOnChangeObjection({ db, clock, mailer, ...approvalPolicy }) }));
  app.use(recordChangeRoutes({ db, clock, mailer, stepUpMs }));
  // Mail and tasks may not import audit (DESIGN §8): the appender is handed in here.
  app.use(inboundAdminRoutes({ db, clock, audit: appendAudit }));
  const mailAdminDeps = { db, clock, mailer, audit: appendAudit, deliverNow: () => scheduler.run("deliver-mail") };
  app.use(mailAdminRoutes(mailAdminDeps));
  app.use(settingsRoutes({ ...mailAdminDeps, config, dataKey: deps.dataKey, stepUpMs }));
  app.use(auditAdminRoutes({ db, clock }));
  app.use(taskAdminRoutes({ db, clock, scheduler, audit: appendAudit }));
  app.use(slaAdminRoutes({ db, clock }));
  app.use(cannedReplyRoutes({ db, clock }));
  if (deps.extraRoutes) app.use(deps.extraRoutes);

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
