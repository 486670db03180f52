import { Router, type Request, type Response } from "express";
import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import type { Problems } from "../../shared/problems.js";
import { changeSlaTargets, DUE_SOON_SHARE, loadSlaTargets, TICKET_PRIORITIES } from "../../tickets/index.js";
import { flash } from "../flash.js";
import { requireAdmin } from "../guards.js";
import { actorOf } from "../request-meta.js";
import { parseForm } from "../validation.js";
import { slaField, slaForm, slaValues } from "./sla-form.js";

/** The SLA targets page: first response and resolution per priority. */
export function slaAdminRoutes(deps: { db: Db; clock: Clock }): Router {
  const router = Router();
  router.use("/admin/sla", ...requireAdmin);

  const render = (res: Response, values: Record<string, string>, status = 200, problems: Problems = {}) =>
    res.status(status).render("admin/sla", { title: "SLA targets", priorities: TICKET_PRIORITIES, field: slaField, values, problems, dueSoonPercent: DUE_SOON_SHARE * 100 });

  router.get("/admin/sla", async (_req, res) => render(res, slaValues(await loadSlaTargets(deps.db))));

  router.post("/admin/sla", async (req: Request, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    // A refused form shows what was typed, so each problem sits next to its own value.
    const typed = Object.fromEntries(TICKET_PRIORITIES.flatMap((p) => [slaField(p, "first_response"), slaField(p, "resolution")]).map((f) => [f, typeof body[f] === "string" ? body[f] : ""]));
    const form = parseForm(slaForm, body);
    if (!form.ok) return render(res, typed, 400, form.problems);
    const result = await changeSlaTargets(deps, actorOf(req), form.data);
    if (!result.ok) return render(res, typed, 400, result.problems);
    flash(req, "success", result.value.changed === 0 ? "Nothing changed: these were the targets already." : "SLA targets saved. They apply to tickets opened from now on and to tickets whose priority changes.");
    res.redirect(303, "/admin/sla");
  });

  return router;
}
