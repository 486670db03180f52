import { Router, type Request, type Response } from "express";
import { actorOf } from "../request-meta.js";
import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import type { Mailer } from "../../platform/mail/mailer.js";
import { flash } from "../flash.js";
import { requireAdmin } from "../guards.js";
import { rowAtPath } from "../path-ids.js";
import type { Problems } from "../../shared/problems.js";
import { parseForm } from "../validation.js";
import { requireStepUp, type StepUpDeps } from "../step-up.js";
import { destructiveStep } from "../confirmation.js";
import { isCustomer } from "../../shared/roles.js";
import { addContact, changesOfAccount, contactsOfAccount, createAccount, createLogin, findAccount, findContact, removeContact, renameAccount, searchAccounts, setAccountStatus, updateContact, type Account } from "../../accounts/index.js";
import { accountForm, contactForm, newLoginForm, renameForm } from "./account-forms.js";
import { currentKeysOf, listLoginsOfAccount } from "../../identity/index.js";

type Deps = { db: Db; clock: Clock; mailer: Mailer } & StepUpDeps;

const bodyOf = (req: Request) => req.body as Record<string, unknown>;

/** `/admin` and `/admin/accounts…`: accounts, their logins and contacts (admins only). */
export function adminRoutes(deps: Deps): Router {
  const router = Router();
  router.use("/admin", ...requireAdmin);
  // A new account (with its primary login), a renamed one, suspending or reactivating it, a new
  // login on it, and any change to its contacts (their phone numbers are what callbacks dial)
  // ask for the second factor again (step-up).
  router.post("/admin/accounts", requireStepUp(deps, () => "/admin/accounts/new"));
  // Suspending and removing a contact are destructive: after the check they go back to their confirmation page.
  router.post(["/admin/accounts/:id/suspend", "/admin/contacts/:id/delete"], requireStepUp(deps, (req) => req.path));
  const accountSteps = ["", "/reactivate", "/logins", "/contacts"].map((step) => `/admin/accounts/:id${step}`);
  router.post(accountSteps, requireStepUp(deps, (req) => `/admin/accounts/${String(req.params.id)}`));
  router.post("/admin/contacts/:id", requireStepUp(deps, (req) => `/admin/contacts/${String(req.params.id)}`));

  router.get("/admin", (_req, res) => res.render("admin/index", { title: "Administration" }));

  router.get("/admin/accounts", async (req, res) => {
    const q = typeof req.query.q === "string" ? req.query.q.slice(0, 100) : "";
    res.render("admin/accounts", { title: "Accounts", q, accounts: await searchAccounts(deps.db, q, 200) });
  });

  const renderNew = (res: Response, status: number, problems: Problems = {}, values: Record<string, unknown> = {}) =>
    res.status(status).render("admin/account-new", { title: "New account", problems, values: { code: "", name: "", ...values } });

  router.get("/admin/accounts/new", (_req, res) => renderNew(res, 200));

  router.post("/admin/accounts", async (req, res) => {
    const form = parseForm(accountForm, req.body);
    if (!form.ok) return renderNew(res, 400, form.problems, bodyOf(req));
    const result = await createAccount(deps, form.data, actorOf(req));
    if (!result.ok) return renderNew(res, 400, result.problems, bodyOf(req));
    flash(req, "success", `Account ${form.data.code.toUpperCase()} created. Add its primary login and contacts next.`);
    res.redirect(303, `/admin/accounts/${result.value}`);
  });

  const accountOf = (req: Request): Promise<Account> => rowAtPath(req.params.id as string | undefined, (id) => findAccount(deps.db, id), "There is no such account.");

  /** The account page; `problems` and `values` belong to the form named by `form` when it failed. */
  const renderAccount = async (res: Response, account: Account, status = 200, failed: { form?: string; problems?: Problems; values?: Record<string, unknown> } = {}) => {
    const [logins, contacts] = await Promise.all([listLoginsOfAccount(deps.db, account.id), contactsOfAccount(deps.db, account.id)]);
    const keys = await currentKeysOf(deps.db, logins.map((l) => l.id));
    const changes = await changesOfAccount(deps.db, account.id, 50);
    res.status(status).render("admin/account", {
      title: `${account.code} · ${account.name}`,
      account,
      logins,
      keys,
      contacts,
      changes,
      failedForm: failed.form ?? null,
      problems: failed.problems ?? {},
      values: failed.values ?? {},
    });
  };

  router.get("/admin/accounts/:id", async (req, res) => renderAccount(res, await accountOf(req)));

  router.post("/admin/accounts/:id", async (req, res) => {
    const account = await accountOf(req);
    const form = parseForm(renameForm, req.body);
    if (!form.ok) return renderAccount(res, account, 400, { form: "rename", problems: form.problems, values: bodyOf(req) });
    await renameAccount(deps, account, form.data.name, actorOf(req));
    flash(req, "success", "The account's name is saved.");
    res.redirect(303, `/admin/accounts/${account.id}`);
  });

  destructiveStep(router, "/admin/accounts/:id/suspend", {
    load: accountOf,
    confirmation: (account) => ({
      title: `Suspend ${account.code} · ${account.name}?`,
      effects: ["Every login of the account is signed out at once and cannot sign in until an admin reactivates the account."],
      button: `Suspend ${account.code}`,
      action: `/admin/accounts/${account.id}/suspend`,
      back: `/admin/accounts/${account.id}`,
    }),
    act: async (req, res, account) => {
      await setAccountStatus(deps, account, "suspended", actorOf(req));
      flash(req, "success", `${account.code} is suspended: its logins are signed out and cannot sign in.`);
      res.redirect(303, `/admin/accounts/${account.id}`);
    },
  });

  router.post("/admin/accounts/:id/reactivate", async (req, res) => {
    const account = await accountOf(req);
    await setAccountStatus(deps, account, "active", actorOf(req));
    flash(req, "success", `${account.code} is active again.`);
    res.redirect(303, `/admin/accounts/${account.id}`);
  });

  router.post("/admin/accounts/:id/logins", async (req, res) => {
    const account = await accountOf(req);
    const form = parseForm(newLoginForm, req.body);
    const failed = (problems: Problems) => renderAccount(res, account, 400, { form: "login", problems, values: bodyOf(req) });
    if (!form.ok) return failed(form.problems);
    if (!isCustomer(form.data.role)) return failed({ role: "Accounts have primary and secondary logins; create agents under Staff." });
    const { role, username, display_name, email, can_open_cases } = form.data;
    const result = await createLogin(deps, { accountId: account.id, role, username, displayName: display_name, email, canOpenCases: role === "secondary" && can_open_cases }, actorOf(req));
    if (!result.ok) return failed(result.problems);
    flash(req, "success", `Login ${username} created; a link to choose a password was sent to ${email}.`);
    res.redirect(303, `/admin/accounts/${account.id}`);
  });

  router.post("/admin/accounts/:id/contacts", async (req, res) => {
    const account = await accountOf(req);
    const form = parseForm(contactForm, req.body);
    const failed = (problems: Problems) => renderAccount(res, account, 400, { form: "contact", problems, values: bodyOf(req) });
    if (!form.ok) return failed(form.problems);
    const result = await addContact(deps, account.id, form.data, actorOf(req));
    if (!result.ok) return failed(result.problems);
    flash(req, "success", `Contact ${form.data.name} added.`);
    res.redirect(303, `/admin/accounts/${account.id}`);
  });

  const contactOf = (req: Request) => rowAtPath(req.params.id as string | undefined, (id) => findContact(deps.db, id), "There is no such contact.");

  router.get("/admin/contacts/:id", async (req, res) => {
    const contact = await contactOf(req);
    const account = (await findAccount(deps.db, contact.accountId))!;
    res.render("admin/contact", { title: `Contact ${contact.name}`, contact, account, logins: await listLoginsOfAccount(deps.db, account.id), problems: {}, values: null });
  });

  router.post("/admin/contacts/:id", async (req, res) => {
    const contact = await contactOf(req);
    const account = (await findAccount(deps.db, contact.accountId))!;
    const form = parseForm(contactForm, req.body);
    const failed = async (problems: Problems) =>
      res.status(400).render("admin/contact", { title: `Contact ${contact.name}`, contact, account, logins: await listLoginsOfAccount(deps.db, account.id), problems, values: bodyOf(req) });
    if (!form.ok) return failed(form.problems);
    const result = await updateContact(deps, contact, form.data, actorOf(req));
    if (!result.ok) return failed(result.problems);
    flash(req, "success", `Contact ${form.data.name} saved.`);
    res.redirect(303, `/admin/accounts/${account.id}`);
  });

  destructiveStep(router, "/admin/contacts/:id/delete", {
    load: contactOf,
    confirmation: (contact) => ({
      title: `Remove contact ${contact.name}?`,
      effects: [`Support can no longer check a reset request against ${contact.name}'s details, nor call back on their number.`, "The removal is audited."],
      button: `Remove ${contact.name}`,
      action: `/admin/contacts/${contact.id}/delete`,
      back: `/admin/accounts/${contact.accountId}`,
    }),
    act: async (req, res, contact) => {
      await removeContact(deps, contact.id, actorOf(req));
      flash(req, "success", `Contact ${contact.name} removed.`);
      res.redirect(303, `/admin/accounts/${contact.accountId}`);
    },
  });

  return router;
}
