import { Router } from "express";
import { appendAudit } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db.js";
import { notFound } from "../web/errors.js";
import { flash } from "../web/flash.js";
import { requireAdmin } from "../web/guards.js";
import { auditActor } from "../web/request-meta.js";
import type { Scheduler } from "./scheduler.js";

/** The scheduled tasks page and its Run now buttons. */
export function taskAdminRoutes({ db, clock, scheduler }: { db: Db; clock: Clock; scheduler: Scheduler }): Router {
  const router = Router();
  router.use("/admin/tasks", ...requireAdmin);

  router.get("/admin/tasks", async (_req, res) => {
    res.render("admin/tasks", { title: "Scheduled tasks", tasks: await scheduler.states() });
  });

  router.post("/admin/tasks/:name/run", async (req, res) => {
    const name = req.params.name;
    if (!scheduler.has(name)) throw notFound("There is no task of that name.");
    await appendAudit(db, { ...auditActor(req), action: "task.run_requested", subject: `task:${name}` }, clock.now());
    const outcome = await scheduler.run(name);
    if (!outcome.ran) flash(req, "info", `${name} did not run: ${outcome.reason}.`);
    else if (outcome.status === "done") flash(req, "success", `${name} ran: ${outcome.result}.`);
    else flash(req, "error", `${name} failed: ${outcome.result}`);
    res.redirect(303, "/admin/tasks");
  });

  return router;
}
