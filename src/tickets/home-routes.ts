import { Router } from "express";
import { isStaff, requireSignedIn } from "../web/guards.js";

/** `GET /`: the customer's home or the agent desk's, by role. Placeholders until the tickets issue. */
export function homeRoutes(): Router {
  const router = Router();
  router.get("/", requireSignedIn, (req, res) => {
    const user = req.user!;
    if (isStaff(user.role)) return res.render("home/desk", { title: "Desk" });
    res.render("home/customer", { title: "My tickets" });
  });
  return router;
}
