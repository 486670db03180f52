import { Router, type Response } from "express";
import { z } from "zod";
import { appendAudit } from "../../platform/audit/audit-log.js";
import type { Clock } from "../../shared/clock.js";
import type { Config } from "../../shared/config.js";
import type { Db } from "../../shared/db.js";
import { MAX_ROW_ID } from "../../shared/row-ids.js";
import type { Scheduler } from "../../platform/tasks/scheduler.js";
import { flash } from "../flash.js";
import { requireAdmin } from "../guards.js";
import { rowAtPath } from "../path-ids.js";
import { auditActor } from "../request-meta.js";
import { parseForm } from "../validation.js";
import { describeSendError } from "../../platform/mail/delivery.js";
import type { Mailer } from "../../platform/mail/mailer.js";
import { testMessageMail } from "../../platform/mail/mailer.js";
import { countByStatus, enqueue, findMail, listAttempts, listMail, OUTBOX_STATUSES, requeue } from "../../platform/mail/outbox-store.js";

const PAGE_SIZE = 50;

const logFilter = z.object({
  status: z.enum(OUTBOX_STATUSES).optional().catch(undefined),
  recipient: z.string().trim().max(254).optional().catch(undefined),
  before: z.coerce.number().int().positive().max(MAX_ROW_ID).optional().catch(undefined),
});

const testMailForm = z.object({
  to: z.string().trim().min(1, "Enter the address to send the test message to.").max(254).pipe(z.email({ error: "Enter a valid email address." })),
});

interface MailAdminDeps {
  db: Db;
  clock: Clock;
  config: Config;
  mailer: Mailer;
  scheduler: Scheduler;
}

/** The mail log, one mail's detail and Retry; the mail settings with Verify and a test message. */
export function mailAdminRoutes({ db, clock, config, mailer, scheduler }: MailAdminDeps): Router {
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
    const [headerBlock = ""] = mail.message.split(/\r?\n\r?\n/, 1);
    res.render("admin/mail-detail", { title: `Mail #${mail.id}`, mail, headers: headerBlock.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/), attempts: await listAttempts(db, mail.id) });
  });

  router.post("/admin/mail/:id/retry", async (req, res) => {
    const mail = await mailOf(req.params.id);
    const now = clock.now();
    const requeued = await db.transaction(async (trx) => {
      const done = await requeue(trx, mail.id, now);
      if (done) await appendAudit(trx, { ...auditActor(req), action: "mail.retried", subject: `outbox:${mail.id}`, details: { recipient: mail.recipient, previousStatus: mail.status, attempts: mail.attempts } }, now);
      return done;
    });
    if (requeued) flash(req, "success", `Mail #${mail.id} is queued again and will be sent shortly.`);
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
    let result: { ok: boolean; text: string };
    try {
      result = { ok: true, text: await mailer.transport.verify() };
    } catch (err) {
      result = { ok: false, text: describeSendError(err) };
    }
    await appendAudit(db, { ...auditActor(req), action: "mail.settings_verified", details: { ok: result.ok, answer: result.text } }, clock.now());
    req.session.mailSettingsResult = { verify: result };
    res.redirect(303, "/admin/settings");
  });

  router.post("/admin/settings/test-mail", async (req, res) => {
    const form = parseForm(testMailForm, req.body);
    if (!form.ok) {
      const typed = (req.body as Record<string, unknown>).to;
      return renderSettings(res, 400, { problems: form.problems, values: { to: typeof typed === "string" ? typed : "" } });
    }
    const composed = await testMessageMail(mailer, clock, form.data.to, req.user!.username);
    const now = clock.now();
    const outboxId = await db.transaction(async (trx) => {
      const id = await enqueue(trx, composed, now);
      await appendAudit(trx, { ...auditActor(req), action: "mail.test_sent", subject: `outbox:${id}`, details: { recipient: form.data.to } }, now);
      return id;
    });
    // Deliver now, through the outbox like any mail, so the page can show the server's answer.
    await scheduler.run("deliver-mail");
    const mail = (await findMail(db, outboxId))!;
    const attempts = await listAttempts(db, outboxId);
    const last = attempts[attempts.length - 1];
    req.session.mailSettingsResult = { test: { ok: mail.status === "sent", outboxId, status: mail.status, text: last?.detail ?? "Queued: the mail worker will send it shortly." } };
    res.redirect(303, "/admin/settings");
  });

  return router;
}
