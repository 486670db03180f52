import { Router, type Response } from "express";
import { noReferrer } from "../link-pages.js";
import type { MailingDeps } from "../../platform/mail/mailer.js";
import { describeChange, liveChangeObjection, objectToChange, type OnChangeObjected } from "../../accounts/index.js";

/**
 * `GET/POST /objections/changes/:token`: "I did not make or expect this change", from a record
 * change notice's single-use link (an admin reviews it at /admin/record-changes/:id).
 */
export function changeObjectionRoutes(deps: MailingDeps & { onChangeObjected?: OnChangeObjected }): Router {
  const router = Router();
  router.use("/objections/changes", noReferrer);

  const gone = (res: Response) => res.status(404).render("resets/record-objection", { title: "Link no longer valid", state: "gone" });

  router.get("/objections/changes/:token", async (req, res) => {
    const live = await liveChangeObjection(deps.db, req.params.token, deps.clock.now());
    if (!live) return gone(res);
    res.render("resets/record-objection", { title: "Object to a change of your records", state: "form", description: describeChange(live.change), changedAt: live.change.createdAt, token: req.params.token });
  });

  router.post("/objections/changes/:token", async (req, res) => {
    const change = await objectToChange(deps, req.params.token, req.ip ?? null, deps.onChangeObjected);
    if (!change) return gone(res);
    res.render("resets/record-objection", { title: "Objection recorded", state: "recorded", description: describeChange(change) });
  });

  return router;
}
