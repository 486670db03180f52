import { Router, type Response } from "express";
import { actorOf } from "../request-meta.js";
import { keyForm } from "../key-form.js";
import type { MailingDeps } from "../../platform/mail/mailer.js";
import { flash } from "../flash.js";
import { requirePrimary } from "../guards.js";
import { parseForm } from "../validation.js";
import { requireStepUp, type StepUpDeps } from "../step-up.js";
import { currentKey } from "../../identity/index.js";
import { setLoginKey } from "../../accounts/index.js";

/** `GET/POST /account/key`: the primary holder registers its own OpenPGP public key. */
export function accountKeyRoutes(deps: MailingDeps & StepUpDeps): Router {
  const router = Router();
  router.use("/account/key", ...requirePrimary);
  // The key decides where a temporary password goes: a holder with a factor proves it again (step-up).
  router.post("/account/key", requireStepUp(deps, () => "/account/key"));

  // The pasted text is never echoed back: it may be private key material, however it is labelled.
  const render = async (res: Response, userId: number, status: number, problems: string[] = []) =>
    res.status(status).render("account/key", { title: "My OpenPGP key", key: await currentKey(deps.db, userId), problems });

  router.get("/account/key", (req, res) => render(res, req.user!.id, 200));

  router.post("/account/key", async (req, res) => {
    const form = parseForm(keyForm, req.body);
    if (!form.ok) return render(res, req.user!.id, 400, Object.values(form.problems));
    const user = req.user!;
    const problems = await setLoginKey(deps, user.id, form.data.armored_key, actorOf(req));
    if (problems.length) return render(res, user.id, 400, problems);
    flash(req, "success", "Your OpenPGP key is registered. Temporary passwords will be encrypted to it.");
    res.redirect(303, "/account/key");
  });

  return router;
}
