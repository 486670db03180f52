import { Router, type Response } from "express";
import { z } from "zod";
import { sendTestMessage, verifyMailServer, type MailAdminDeps } from "../../platform/mail/mail-admin.js";
import { VARIABLE_OF, type EffectiveMailSettings } from "../../platform/mail/mail-settings.js";
import { mailSettingsNow, saveMailSettings, type MailSettingsDeps } from "../../platform/mail/settings-admin.js";
import { SECURITY_MODES } from "../../platform/mail/settings-store.js";
import type { Problems } from "../../shared/problems.js";
import { flash } from "../flash.js";
import { requireAdmin } from "../guards.js";
import { actorOf } from "../request-meta.js";
import { requireStepUp, type StepUpDeps } from "../step-up.js";
import { parseForm } from "../validation.js";
import { formValues, mailSettingsForm } from "./settings-form.js";

const testMailForm = z.object({
  to: z.string().trim().min(1, "Enter the address to send the test message to.").max(254).pipe(z.email({ error: "Enter a valid email address." })),
});

const SAVED = "Saved. The next delivery uses them.";

/** The mail settings (saved in the console, the environment winning), with Verify and a test message. */
export function settingsRoutes(deps: MailAdminDeps & MailSettingsDeps & StepUpDeps): Router {
  const router = Router();
  router.use("/admin/settings", ...requireAdmin);

  const render = async (res: Response, status: number, locals: { settings?: EffectiveMailSettings; typed?: Record<string, unknown>; settingsProblems?: Problems; problems?: Problems; to?: string } = {}) => {
    const settings = locals.settings ?? (await mailSettingsNow(deps));
    res.status(status).render("admin/settings", {
      title: "Mail settings",
      settings,
      variableOf: VARIABLE_OF,
      securityModes: SECURITY_MODES,
      form: formValues(settings, locals.typed),
      settingsProblems: locals.settingsProblems ?? {},
      deskKeyFingerprint: deps.mailer.deskKey.fingerprint,
      values: { to: locals.to ?? "" },
      problems: locals.problems ?? {},
    });
  };

  // Results come back through the session after a redirect, so a reload sends nothing again.
  router.get("/admin/settings", async (req, res) => {
    const result = req.session.mailSettingsResult ?? {};
    delete req.session.mailSettingsResult;
    res.locals.verifyResult = result.verify;
    res.locals.testResult = result.test;
    await render(res, 200);
  });

  router.post("/admin/settings", requireStepUp(deps, () => "/admin/settings"), async (req, res) => {
    const settings = await mailSettingsNow(deps);
    const typed = (req.body ?? {}) as Record<string, unknown>;
    const form = parseForm(mailSettingsForm(settings), typed);
    if (!form.ok) return render(res, 400, { settings, typed, settingsProblems: form.problems });
    const saved = await saveMailSettings(deps, form.data, actorOf(req));
    if (!saved.ok) return render(res, 400, { settings, typed, settingsProblems: saved.problems });
    const { changed, retriesDue } = saved.value;
    const waiting = retriesDue ? ` ${retriesDue === 1 ? "1 mail waiting for another attempt goes" : `${retriesDue} mails waiting for another attempt go`} with it.` : "";
    flash(req, "success", changed ? SAVED + waiting : "Nothing changed: the settings are as they were.");
    res.redirect(303, "/admin/settings");
  });

  router.post("/admin/settings/verify", async (req, res) => {
    req.session.mailSettingsResult = { verify: await verifyMailServer(deps, actorOf(req)) };
    res.redirect(303, "/admin/settings");
  });

  router.post("/admin/settings/test-mail", async (req, res) => {
    const form = parseForm(testMailForm, req.body);
    if (!form.ok) {
      const typed = (req.body as Record<string, unknown>).to;
      return render(res, 400, { problems: form.problems, to: typeof typed === "string" ? typed : "" });
    }
    req.session.mailSettingsResult = { test: await sendTestMessage(deps, form.data.to, actorOf(req)) };
    res.redirect(303, "/admin/settings");
  });

  return router;
}
