import { Router, type Response } from "express";
import { noReferrer } from "../link-pages.js";
import { liveObjection, raiseObjection, type HandOffDeps } from "../../resets/index.js";

/** `GET/POST /objections/:token`: "I did not ask for this", from the alert mail's single-use link. */
export function objectionRoutes(deps: HandOffDeps): Router {
  const router = Router();
  router.use("/objections", noReferrer);

  const gone = (res: Response) => res.status(404).render("resets/objection-invalid", { title: "Link no longer valid" });

  router.get("/objections/:token", async (req, res) => {
    const objection = await liveObjection(deps.db, req.params.token);
    if (!objection) return gone(res);
    res.render("resets/objection", { title: "Object to a password reset", ticketId: objection.ticketId, delivered: objection.delivered, token: req.params.token });
  });

  router.post("/objections/:token", async (req, res) => {
    const raised = await raiseObjection(deps, req.params.token, req.ip ?? null);
    if (!raised.ok) return gone(res);
    res.render("resets/objection-recorded", { title: "Objection recorded", withdrawn: raised.value.withdrawn });
  });

  return router;
}
