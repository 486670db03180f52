import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import { formatInZone, pickableTimeZones, timeZoneName } from "../../shared/formatting.js";
import type { Problems } from "../../shared/problems.js";
import { flash } from "../flash.js";
import { requireSignedIn } from "../guards.js";
import { parseForm } from "../validation.js";
import { setLoginTimeZone } from "../../identity/index.js";

/** Empty: the desk's zone. Anything else must be a zone Intl knows, kept in its canonical spelling. */
const zoneForm = z.object({
  time_zone: z
    .string({ error: "Choose a time zone from the list." })
    .trim()
    .transform((v, ctx) => (v === "" ? null : (timeZoneName(v) ?? (ctx.addIssue({ code: "custom", message: `“${v.slice(0, 60)}” is not a time zone: choose one from the list.` }), z.NEVER)))),
});

/** `GET/POST /account/time-zone`: anyone signed in chooses the zone pages show them times in; the desk's TIME_ZONE unless they do. */
export function timeZoneRoutes(deps: { db: Db; clock: Clock; deskTimeZone: string }): Router {
  const router = Router();
  router.use("/account/time-zone", requireSignedIn);

  // The select shows the stored choice, also after a refused one: nothing was changed.
  const render = (req: Request, res: Response, status: number, problems: Problems) =>
    res.status(status).render("account/time-zone", {
      title: "Time zone",
      zones: pickableTimeZones(),
      value: req.user!.timeZone ?? "",
      example: formatInZone(deps.clock.now(), res.locals.timeZone as string),
      problems,
    });

  router.get("/account/time-zone", (req, res) => render(req, res, 200, {}));

  router.post("/account/time-zone", async (req, res) => {
    const form = parseForm(zoneForm, req.body);
    if (!form.ok) return render(req, res, 400, form.problems);
    const zone = form.data.time_zone;
    await setLoginTimeZone(deps.db, req.user!.id, zone, deps.clock.now());
    const shown = zone ?? deps.deskTimeZone;
    flash(req, "success", `Saved. Pages show you times in ${zone ? shown : `the desk's time zone, ${shown}`}: it is now ${formatInZone(deps.clock.now(), shown)}.`);
    res.redirect(303, "/account/time-zone");
  });

  return router;
}
