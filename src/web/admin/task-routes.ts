import { Router } from "express";
import { appendAudit } from "../../platform/audit/audit-log.js";
import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import { notFound } from "../errors.js";
import { flash } from "../flash.js";
import { requireAdmin } from "../guards.js";
import { formatDateTime } from "../view-helpers.js";
import { auditActor } from "../request-meta.js";
import type { Scheduler } from "../../platform/tasks/scheduler.js";

/** The scheduled tasks page and its Run now buttons. */
export function taskAdminRoutes({ db, clock, scheduler }: { db: Db; clock: Clock; scheduler: Scheduler }): Router {
  const router = Router();
  router.use("/admin/tasks", ...requireAdmin);

  router.get("/admin/tasks", async (_req, res) => {
    res.render("admin/tasks", { title: "Scheduled tasks", tasks: await scheduler.states(), now: clock.now() });
  });

  // Run now makes the task due and returns: the next tick of a worker runs it, never this request.
  router.post("/admin/tasks/:name/run", async (req, res) => {
    const name = req.params.name;
    if (!scheduler.has(name)) throw notFound("There is no task of that name.");
    await appendAudit(db, { ...auditActor(req), action: "task.run_requested", subject: `task:${name}` }, clock.now());
    const scheduled = (await scheduler.schedule(name))!;
    if (scheduled.runningOn) flash(req, "info", `${name} is running now on ${scheduled.runningOn} (since ${formatDateTime(scheduled.runningSince)}); it runs again as soon as that run ends.`);
    else flash(req, "success", `${name} is due now: the next worker tick runs it, within a few seconds. Reload this page to see its result.`);
    res.redirect(303, "/admin/tasks");
  });

  return router;
}
