import { Router } from "express";
import { isStaff, requireAgent, requireSignedIn } from "../web/guards.js";

/**
 * `GET /` is the customer's home or the agent desk, by role; `GET /desk` is the agent queue.
 * Both are placeholders until the tickets issue fills them.
 */
export function homeRoutes(): Router {
  const router = Router();
  router.get("/", requireSignedIn, (req, res) => {
    if (isStaff(req.user!.role)) return res.render("home/desk", { title: "Queue" });
    res.render("home/customer", { title: "My tickets" });
  });
  router.get("/desk", ...requireAgent, (_req, res) => res.render("home/desk", { title: "Queue" }));
  return router;
}
