import { Router } from "express";
import { z } from "zod";
import { MAX_ROW_ID } from "../../shared/row-ids.js";
import { flash } from "../flash.js";
import { requireAdmin } from "../guards.js";
import { rowAtPath } from "../path-ids.js";
import { actorOf } from "../request-meta.js";
import { retryMail, type MailAdminDeps } from "../../platform/mail/mail-admin.js";
import { countByStatus, findMail, headerBlockOf, listAttempts, listMail, OUTBOX_STATUSES } from "../../platform/mail/outbox-store.js";

const PAGE_SIZE = 50;

const logFilter = z.object({
  status: z.enum(OUTBOX_STATUSES).optional().catch(undefined),
  recipient: z.string().trim().max(254).optional().catch(undefined),
  before: z.coerce.number().int().positive().max(MAX_ROW_ID).optional().catch(undefined),
});

/** The mail log, one mail's detail and Retry (the settings page is settings-routes.ts). */
export function mailAdminRoutes(deps: MailAdminDeps): Router {
  const { db } = deps;
  const router = Router();
  router.use("/admin/mail", ...requireAdmin);

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

  return router;
}
