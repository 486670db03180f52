import { Router, type RequestHandler } from "express";
import { isStaff } from "../shared/roles.js";
import { requireSignedIn } from "./guards.js";

/**
 * `GET /` is the agent queue for staff and the ticket list for customers. The two pages come
 * from their own areas (web/desk, web/portal); src/main/app.ts hands them in.
 */
export function homeRoutes(pages: { staff: RequestHandler; customer: RequestHandler }): Router {
  const router = Router();
  router.get("/", requireSignedIn, (req, res, next) => (isStaff(req.user!.role) ? pages.staff : pages.customer)(req, res, next));
  return router;
}
