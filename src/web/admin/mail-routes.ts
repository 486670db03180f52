import { Router, type Response } from "express";
import { z } from "zod";
import type { Config } from "../../shared/config.js";
import { MAX_ROW_ID } from "../../shared/row-ids.js";
import { flash } from "../flash.js";
import { requireAdmin } from "../guards.js";
import { rowAtPath } from "../path-ids.js";
import { actorOf } from "../request-meta.js";
import { parseForm } from "../validation.js";
import { retryMail, sendTestMessage, verifyMailServer, type MailAdminDeps } from "../../platform/mail/mail-admin.js";
import { countByStatus, findMail, headerBlockOf, listAttempts, listMail, OUTBOX_STATUSES } from "../../platform/mail/outbox-store.js";

const PAGE_SIZE = 50;

const logFilter = z.object({
  status: z.enum(OUTBOX_STATUSES).optional().catch(undefined),
  recipient: z.string().trim().max(254).optional().catch(undefined),
  before: z.coerce.number().int().positive().max(MAX_ROW_ID).optional().catch(undefined),
});

const testMailForm = z.object({
  to: z.string().trim().min(1, "Enter the address to send the test message to.").max(254).pipe(z.email({ error: "Enter a valid email address." })),
});

/** The mail log, one mail's detail and Retry; the mail settings with Verify and a test message. */
export function mailAdminRoutes(deps: MailAdminDeps & { config: Config }): Router {
  const { db, config, mailer } = deps;
  const router = Router();
  router.use(["/admin/mail", "/admin/settings"], ...requireAdmin);

  router.get("/admin/mail", async (req, res) => {
    const filter = logFilter.parse(req.query);
    const [page, counts] = await Promise.all([listMail(db, filter, PAGE_SIZE), countByStatus(db)]);
    res.render("admin/mail-log", { title: "Mail log", filter, mails: page.mails, nextBefore: page.nextBefore, counts, statuses: OUTBOX_STATUSES });
  });

  const mailOf = (id: string) => rowAtPath(id, (n) => findMail(db, n), "There is no mail with that number.");

  router.get("/admin/mail/:id", async (req, res) => {
    const mail = await mailOf(req.params.id);
    res.render("admin/mail-detail", { title: `Mail #${mail.id}`, mail, headers: headerBlockOf(mail.message).replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/), attempts: await listAttempts(db, mail.id) });
  });

  router.post("/admin/mail/:id/retry", async (req, res) => {
    const mail = await mailOf(req.params.id);
    if (await retryMail(deps, mail, actorOf(req))) flash(req, "success", `Mail #${mail.id} is queued again and will be sent shortly.`);
    else flash(req, "error", `Mail #${mail.id} is ${mail.status}; only failed or dead mail can be retried.`);
    res.redirect(303, `/admin/mail/${mail.id}`);
  });

  const renderSettings = (res: Response, status: number, locals: Record<string, unknown> = {}) =>
    res.status(status).render("admin/settings", {
      title: "Mail settings",
      mail: {
        transport: config.mail.transport,
        from: config.mail.from,
        dir: config.mail.dir,
        host: config.mail.smtp.host ?? null,
        port: config.mail.smtp.port,
        secure: config.mail.smtp.secure,
        user: config.mail.smtp.user ?? null,
        passwordSet: Boolean(config.mail.smtp.pass),
      },
      deskKeyFingerprint: mailer.deskKey.fingerprint,
      values: { to: "" },
      problems: {},
      ...locals,
    });

  // Results come back through the session after a redirect, so a reload sends nothing again.
  router.get("/admin/settings", (req, res) => {
    const result = req.session.mailSettingsResult ?? {};
    delete req.session.mailSettingsResult;
    renderSettings(res, 200, { verifyResult: result.verify, testResult: result.test });
  });

  router.post("/admin/settings/verify", async (req, res) => {
    req.session.mailSettingsResult = { verify: await verifyMailServer(deps, actorOf(req)) };
    res.redirect(303, "/admin/settings");
  });

  router.post("/admin/settings/test-mail", async (req, res) => {
    const form = parseForm(testMailForm, req.body);
    if (!form.ok) {
      const typed = (req.body as Record<string, unknown>).to;
      return renderSettings(res, 400, { problems: form.problems, values: { to: typeof typed === "string" ? typed : "" } });
    }
    req.session.mailSettingsResult = { test: await sendTestMessage(deps, form.data.to, actorOf(req)) };
    res.redirect(303, "/admin/settings");
  });

  return router;
}
