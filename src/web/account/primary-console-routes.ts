import { Router, type Request, type Response } from "express";
import { actorOf } from "../request-meta.js";
import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import type { Mailer } from "../../platform/mail/mailer.js";
import { notFound } from "../errors.js";
import { flash } from "../flash.js";
import { requirePrimary } from "../guards.js";
import { pathId } from "../path-ids.js";
import type { Problems } from "../../shared/problems.js";
import { parseForm } from "../validation.js";
import { requireStepUp, type StepUpDeps } from "../step-up.js";
import { destructiveStep } from "../confirmation.js";
import { newCustomerLoginForm } from "../login-form.js";
import { createLogin, findAccount, removeSecondaryFactors, resetLoginPassword, setCanOpenCases, setLoginDisabled } from "../../accounts/index.js";
import { findLoginById, hasActiveFactor, listLoginsOfAccount, scopedUsername, type Login } from "../../identity/index.js";

type Deps = { db: Db; clock: Clock; mailer: Mailer } & StepUpDeps;

/**
 * `/account/users`: the primary holder creates, disables, enables, authorises and resets the
 * secondary logins of its own account. It starts resets but never sees or chooses a password.
 */
export function primaryConsoleRoutes(deps: Deps): Router {
  const router = Router();
  router.use("/account/users", ...requirePrimary);
  // A holder with a factor proves it again (step-up) before changing the account's logins: a new one, or another's state, password, factors or right to open cases.
  // The destructive steps go back to their confirmation page after the check, the others to the console.
  const destructive = ["reset", "disable", "unauthorise", "remove-factors"].map((step) => `/account/users/:id/${step}`);
  router.post(destructive, requireStepUp(deps, (req) => req.path));
  router.post(["/account/users", "/account/users/:id/enable", "/account/users/:id/authorise"], requireStepUp(deps, () => "/account/users"));

  const render = async (req: Request, res: Response, status: number, problems: Problems = {}, values: Record<string, unknown> = {}) => {
    const logins = await listLoginsOfAccount(deps.db, req.user!.accountId!);
    const account = (await findAccount(deps.db, req.user!.accountId!))!;
    // Which secondaries have two-step sign-in, for their "Remove two-step sign-in" button (a handful of logins per account).
    const withFactor = new Set<number>();
    for (const l of logins) if (l.role === "secondary" && (await hasActiveFactor(deps.db, l.id))) withFactor.add(l.id);
    res.status(status).render("account/users", { title: "Logins of my account", logins, withFactor, suffix: `.${account.code.toLowerCase()}`, problems, values: { username: "", display_name: "", email: "", can_open_cases: false, ...values } });
  };

  /** A secondary login of the holder's own account, or 404 (others' logins, and itself, are not here). */
  const ownSecondary = async (req: Request): Promise<Login> => {
    const missing = "There is no such login in your account.";
    const login = await findLoginById(deps.db, pathId(req.params.id as string | undefined, missing));
    if (!login || login.accountId !== req.user!.accountId || login.role !== "secondary") throw notFound(missing);
    return login;
  };

  router.get("/account/users", (req, res) => render(req, res, 200));

  router.post("/account/users", async (req, res) => {
    const form = parseForm(newCustomerLoginForm, req.body);
    const body = req.body as Record<string, unknown>;
    const echo = { username: body.username, display_name: body.display_name, email: body.email, can_open_cases: Boolean(body.can_open_cases) };
    if (!form.ok) return render(req, res, 400, form.problems, echo);
    const { display_name, email, can_open_cases } = form.data;
    const account = (await findAccount(deps.db, req.user!.accountId!))!;
    const username = scopedUsername(form.data.username, account.code);
    const result = await createLogin(deps, { accountId: account.id, role: "secondary", username, displayName: display_name, email, canOpenCases: can_open_cases }, actorOf(req));
    if (!result.ok) return render(req, res, 400, result.problems, echo);
    flash(req, "success", `Login ${username} created. A link to choose a password was sent to ${email}.`);
    res.redirect(303, "/account/users");
  });

  const back = "/account/users";

  destructiveStep(router, "/account/users/:id/reset", {
    load: ownSecondary,
    confirmation: (login) => ({
      title: `Reset ${login.username}'s password?`,
      effects: [`${login.username}'s current password stops working at once.`, `A single-use link to choose a new one, valid 24 hours, is mailed to ${login.email ?? "its registered address"}. You never see or choose the new password.`],
      button: `Reset ${login.username}'s password`,
      action: `/account/users/${login.id}/reset`,
      back,
    }),
    act: async (req, res, login) => {
      const result = await resetLoginPassword(deps, login, actorOf(req), "holder");
      if (!result.ok) flash(req, "error", `No link was sent. ${result.problems.link}`);
      else flash(req, "success", `${login.username}'s password no longer works. A link to choose a new one was sent to ${login.email ?? ""}.`);
      res.redirect(303, back);
    },
  });

  /** The holder administers its secondaries: it removes one's lost authenticator (and recovery codes); that login's sessions end. */
  destructiveStep(router, "/account/users/:id/remove-factors", {
    load: ownSecondary,
    confirmation: (login) => ({
      title: `Remove ${login.username}'s two-step sign-in?`,
      effects: [`Its authenticator app and recovery codes are removed, and it is signed out everywhere.`, `${login.email ?? "Its address"} is told by mail.`, `It signs in with its password alone until it sets up a new second factor.`],
      button: `Remove ${login.username}'s two-step sign-in`,
      action: `/account/users/${login.id}/remove-factors`,
      back,
    }),
    act: async (req, res, login) => {
      const result = await removeSecondaryFactors(deps, login, actorOf(req));
      if (!result.ok) flash(req, "error", `Nothing was removed. ${result.problems.factors}`);
      else flash(req, "success", `${login.username}'s two-step sign-in is removed and every session of it signed out; ${login.email ?? "its address"} was told. It signs in with its password alone until it sets up a new one.`);
      res.redirect(303, back);
    },
  });

  destructiveStep(router, "/account/users/:id/disable", {
    load: ownSecondary,
    confirmation: (login) => ({
      title: `Disable ${login.username}?`,
      effects: [`${login.username} is signed out everywhere and cannot sign in until you enable it again.`],
      button: `Disable ${login.username}`,
      action: `/account/users/${login.id}/disable`,
      back,
    }),
    act: async (req, res, login) => {
      await setLoginDisabled(deps, login, true, actorOf(req));
      flash(req, "success", `${login.username} is disabled and signed out.`);
      res.redirect(303, back);
    },
  });

  router.post("/account/users/:id/enable", async (req, res) => {
    const login = await ownSecondary(req);
    await setLoginDisabled(deps, login, false, actorOf(req));
    flash(req, "success", `${login.username} is enabled.`);
    res.redirect(303, back);
  });

  destructiveStep(router, "/account/users/:id/unauthorise", {
    load: ownSecondary,
    confirmation: (login) => ({
      title: `Withdraw ${login.username}'s case authorisation?`,
      effects: [`${login.username} can no longer open support cases, including a primary account password reset request.`],
      button: `Withdraw ${login.username}'s case authorisation`,
      action: `/account/users/${login.id}/unauthorise`,
      back,
    }),
    act: async (req, res, login) => {
      await setCanOpenCases(deps, login, false, actorOf(req));
      flash(req, "success", `${login.username} may no longer open support cases.`);
      res.redirect(303, back);
    },
  });

  router.post("/account/users/:id/authorise", async (req, res) => {
    const login = await ownSecondary(req);
    await setCanOpenCases(deps, login, true, actorOf(req));
    flash(req, "success", `${login.username} may now open support cases.`);
    res.redirect(303, back);
  });

  return router;
}
