import { Router } from "express";
import { notFound } from "../errors.js";
import { flash } from "../flash.js";
import { requireAdmin } from "../guards.js";
import { viewerDateTime } from "../view-helpers.js";
import { actorOf } from "../request-meta.js";
import { requestRunNow, type RunNowDeps } from "../../platform/tasks/run-now.js";

/** The scheduled tasks page and its Run now buttons. */
export function taskAdminRoutes(deps: RunNowDeps): Router {
  const router = Router();
  router.use("/admin/tasks", ...requireAdmin);

  router.get("/admin/tasks", async (_req, res) => {
    res.render("admin/tasks", { title: "Scheduled tasks", tasks: await deps.scheduler.states(), now: deps.clock.now() });
  });

  // Run now makes the task due and returns: the next tick of a worker runs it, never this request.
  router.post("/admin/tasks/:name/run", async (req, res) => {
    const name = req.params.name;
    const scheduled = await requestRunNow(deps, name, actorOf(req));
    if (!scheduled) throw notFound("There is no task of that name.");
    if (scheduled.runningOn) flash(req, "info", `${name} is running now on ${scheduled.runningOn} (since ${viewerDateTime(res)(scheduled.runningSince)}); it runs again as soon as that run ends.`);
    else flash(req, "success", `${name} is due now: the next worker tick runs it, within a few seconds. Reload this page to see its result.`);
    res.redirect(303, "/admin/tasks");
  });

  return router;
}
