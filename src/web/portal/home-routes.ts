import { Router } from "express";
import { isStaff } from "../../shared/roles.js";
import { requireSignedIn } from "../guards.js";
import { deskQueueHandler, type DeskDeps } from "../desk/desk-routes.js";
import { customerListHandler } from "./portal-routes.js";

/** `GET /` is the customer's ticket list or the agent queue, by role. */
export function homeRoutes(deps: DeskDeps): Router {
  const router = Router();
  const queue = deskQueueHandler(deps);
  const list = customerListHandler(deps);
  router.get("/", requireSignedIn, (req, res, next) => (isStaff(req.user!.role) ? queue : list)(req, res, next));
  return router;
}
