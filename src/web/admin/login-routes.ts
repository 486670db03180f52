import { Router, type Request, type Response } from "express";
import { actorOf } from "../request-meta.js";
import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import type { Mailer } from "../../platform/mail/mailer.js";
import { flash } from "../flash.js";
import { isStaff } from "../../shared/roles.js";
import { requireAdmin } from "../guards.js";
import { rowAtPath } from "../path-ids.js";
import type { Problems } from "../../shared/problems.js";
import { parseForm } from "../validation.js";
import { requireStepUp, type StepUpDeps } from "../step-up.js";
import { destructiveStep, isConfirmed, renderConfirmation } from "../confirmation.js";
import { changesOfLogin, createLogin, findAccount, removeLoginKey, removeStaffFactors, resetLoginPassword, setLoginDisabled, setLoginKey, setPasswordLinkRefusal, unlockLogin, updateLogin } from "../../accounts/index.js";
import { editLoginForm, newLoginForm } from "./account-forms.js";
import { keyForm } from "../key-form.js";
import { confirmationRefusal, confirmStaffLogin, currentKey, findLoginById, hasActiveFactor, listStaff, type Login } from "../../identity/index.js";

type Deps = { db: Db; clock: Clock; mailer: Mailer } & StepUpDeps;

const bodyOf = (req: Request) => req.body as Record<string, unknown>;

/** `/admin/logins/:id…` (one login: edit, disable, link, key) and `/admin/staff` (agents and admins). */
export function adminLoginRoutes(deps: Deps): Router {
  const router = Router();
  router.use(["/admin/logins", "/admin/staff"], ...requireAdmin);
  // Every change to a login's details, state, password, confirmation, key or factors, and a new staff
  // login, asks for the second factor again (step-up). Unlock does not: it changes none of
  // them, the login still needs its password and factor, and it is what the desk does for a
  // locked-out caller on the phone.
  // The destructive steps go back to their confirmation page after the check, the others to the login's page.
  router.post(["/disable", "/key/remove", "/remove-factors"].map((step) => `/admin/logins/:id${step}`), requireStepUp(deps, (req) => req.path));
  const loginSteps = ["", "/enable", "/send-link", "/confirm", "/key"].map((step) => `/admin/logins/:id${step}`);
  router.post(loginSteps, requireStepUp(deps, (req) => `/admin/logins/${String(req.params.id)}`));
  router.post("/admin/staff", requireStepUp(deps, () => "/admin/staff"));

  const loginOf = (req: Request): Promise<Login> => rowAtPath(req.params.id as string | undefined, (id) => findLoginById(deps.db, id), "There is no such login.");

  const usernameOf = async (id: number | null) => (id === null ? null : ((await findLoginById(deps.db, id))?.username ?? null));
  const confirmationView = async (login: Login, viewerId: number) => ({
    createdBy: await usernameOf(login.createdBy),
    confirmedBy: await usernameOf(login.confirmedBy),
    unconfirmedBy: await usernameOf(login.unconfirmedBy),
    refusal: confirmationRefusal(login, (await findLoginById(deps.db, viewerId))!),
  });

  type Failed = { form?: string; problems?: Problems; values?: Record<string, unknown>; keyProblems?: string[] };
  const renderLogin = async (req: Request, res: Response, login: Login, status = 200, failed: Failed = {}) => {
    res.status(status).render("admin/login", {
      title: `Login ${login.username}`,
      login,
      account: login.accountId ? await findAccount(deps.db, login.accountId) : null,
      key: await currentKey(deps.db, login.id),
      hasFactor: await hasActiveFactor(deps.db, login.id),
      linkRefusal: await setPasswordLinkRefusal(deps.db, login, actorOf(req), "desk", deps.clock.now()),
      confirmation: isStaff(login.role) ? await confirmationView(login, req.user!.id) : null,
      changes: await changesOfLogin(deps.db, login.id, 20),
      failedForm: failed.form ?? null,
      problems: failed.problems ?? {},
      values: failed.values ?? {},
      keyProblems: failed.keyProblems ?? [],
    });
  };

  router.get("/admin/logins/:id", async (req, res) => renderLogin(req, res, await loginOf(req)));

  router.post("/admin/logins/:id", async (req, res) => {
    const login = await loginOf(req);
    const form = parseForm(editLoginForm, req.body);
    if (!form.ok) return renderLogin(req, res, login, 400, { form: "edit", problems: form.problems, values: bodyOf(req) });
    // Unticking "may open cases" withdraws the login's case authorisation: confirmed first, the form's other fields carried over.
    if (login.canOpenCases && !form.data.can_open_cases && !isConfirmed(req)) {
      return renderConfirmation(res, 200, {
        title: `Withdraw ${login.username}'s case authorisation?`,
        effects: [`${login.username} can no longer open support cases, including a primary account password reset request.`, "The name and email you typed are saved with it."],
        button: `Save and withdraw ${login.username}'s case authorisation`,
        action: `/admin/logins/${login.id}`,
        back: `/admin/logins/${login.id}`,
        fields: { display_name: form.data.display_name, email: form.data.email },
      });
    }
    await updateLogin(deps, login, { displayName: form.data.display_name, email: form.data.email, canOpenCases: form.data.can_open_cases }, actorOf(req));
    flash(req, "success", `${login.username} is saved.`);
    res.redirect(303, `/admin/logins/${login.id}`);
  });

  const page = (login: Login) => `/admin/logins/${login.id}`;

  destructiveStep(router, "/admin/logins/:id/disable", {
    load: loginOf,
    confirmation: (login) => ({
      title: `Disable ${login.username}?`,
      effects: [`${login.username} is signed out everywhere and cannot sign in until an admin enables it again.`],
      button: `Disable ${login.username}`,
      action: `${page(login)}/disable`,
      back: page(login),
    }),
    act: async (req, res, login) => {
      if (login.id === req.user!.id) flash(req, "error", "You cannot disable your own login.");
      else {
        await setLoginDisabled(deps, login, true, actorOf(req));
        flash(req, "success", `${login.username} is disabled and signed out.`);
      }
      res.redirect(303, page(login));
    },
  });

  router.post("/admin/logins/:id/enable", async (req, res) => {
    const login = await loginOf(req);
    await setLoginDisabled(deps, login, false, actorOf(req));
    flash(req, "success", `${login.username} is enabled.`);
    res.redirect(303, page(login));
  });

  router.post("/admin/logins/:id/send-link", async (req, res) => {
    const login = await loginOf(req);
    const result = await resetLoginPassword(deps, login, actorOf(req), "desk");
    if (!result.ok) return renderLogin(req, res, login, 400, { form: "link", problems: result.problems });
    flash(req, "success", `${login.username}'s password no longer works; a link to choose a new one was sent to ${login.email ?? ""}.`);
    res.redirect(303, `/admin/logins/${login.id}`);
  });

  /** Lifts a lockout; from the staff page (`from=staff`) it goes back there. */
  router.post("/admin/logins/:id/unlock", async (req, res) => {
    const login = await loginOf(req);
    const unlocked = await unlockLogin(deps, login, actorOf(req));
    flash(req, unlocked ? "success" : "info", unlocked ? `${login.username} is unlocked: its failed sign-ins are cleared.` : `${login.username} is not locked.`);
    res.redirect(303, bodyOf(req).from === "staff" ? "/admin/staff" : `/admin/logins/${login.id}`);
  });

  /** A second admin confirms a staff login (issue 10 review 1a); a refusal is shown on the page, nothing changed. */
  router.post("/admin/logins/:id/confirm", async (req, res) => {
    const login = await loginOf(req);
    const refusal = await confirmStaffLogin(deps, login.id, actorOf(req));
    if (refusal) return renderLogin(req, res, login, 400, { form: "confirm", problems: { confirm: refusal } });
    flash(req, "success", `${login.username} is confirmed: it may now take part in reset decisions.`);
    res.redirect(303, `/admin/logins/${login.id}`);
  });

  /** An admin removes a staff member's second factors (a lost phone); a customer's or the admin's own is refused on the page, nothing changed. */
  destructiveStep(router, "/admin/logins/:id/remove-factors", {
    load: loginOf,
    confirmation: (login) => ({
      title: `Remove ${login.username}'s two-step sign-in?`,
      effects: ["Its authenticator app and recovery codes are removed, and every session of the login ends.", `${login.email ?? "Its address"} is told by mail.`, "It signs in with its password alone until it sets up a new second factor."],
      button: `Remove ${login.username}'s two-step sign-in`,
      action: `${page(login)}/remove-factors`,
      back: page(login),
    }),
    act: async (req, res, login) => {
      const result = await removeStaffFactors(deps, login, actorOf(req));
      if (!result.ok) return renderLogin(req, res, login, 400, { form: "factors", problems: result.problems });
      flash(req, "success", `${login.username}'s two-step sign-in is removed and every session of it signed out; ${login.email ?? "its address"} was told.`);
      res.redirect(303, page(login));
    },
  });

  router.post("/admin/logins/:id/key", async (req, res) => {
    const login = await loginOf(req);
    const form = parseForm(keyForm, req.body);
    if (!form.ok) return renderLogin(req, res, login, 400, { form: "key", keyProblems: Object.values(form.problems) });
    const problems = await setLoginKey(deps, login.id, form.data.armored_key, actorOf(req));
    if (problems.length) return renderLogin(req, res, login, 400, { form: "key", keyProblems: problems });
    flash(req, "success", `The OpenPGP key of ${login.username} is registered.`);
    res.redirect(303, `/admin/logins/${login.id}`);
  });

  destructiveStep(router, "/admin/logins/:id/key/remove", {
    load: loginOf,
    confirmation: (login) => ({
      title: `Remove ${login.username}'s OpenPGP key?`,
      effects: [login.role === "primary" ? "Mail to this login goes unencrypted, and a primary account password reset request waits until a key is registered." : "Mail to this login goes unencrypted."],
      button: `Remove ${login.username}'s key`,
      action: `${page(login)}/key/remove`,
      back: page(login),
    }),
    act: async (req, res, login) => {
      const removed = await removeLoginKey(deps, login.id, actorOf(req));
      flash(req, removed ? "success" : "info", removed ? `The key of ${login.username} is removed.` : `${login.username} has no key to remove.`);
      res.redirect(303, page(login));
    },
  });

  const renderStaff = async (res: Response, status = 200, problems: Problems = {}, values: Record<string, unknown> = {}) =>
    res.status(status).render("admin/staff", { title: "Staff", staff: await listStaff(deps.db), problems, values: { role: "agent", username: "", display_name: "", email: "", ...values } });

  router.get("/admin/staff", (_req, res) => renderStaff(res));

  router.post("/admin/staff", async (req, res) => {
    const form = parseForm(newLoginForm, req.body);
    if (!form.ok) return renderStaff(res, 400, form.problems, bodyOf(req));
    if (!isStaff(form.data.role)) return renderStaff(res, 400, { role: "Staff are agents or admins." }, bodyOf(req));
    const { role, username, display_name, email } = form.data;
    const result = await createLogin(deps, { accountId: null, role, username, displayName: display_name, email, canOpenCases: false }, actorOf(req));
    if (!result.ok) return renderStaff(res, 400, result.problems, bodyOf(req));
    flash(req, "success", `${role === "admin" ? "Admin" : "Agent"} ${username} created; a link to choose a password was sent to ${email}.`);
    res.redirect(303, "/admin/staff");
  });

  return router;
}
