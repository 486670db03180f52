import { Router } from "express";
import { requireAdmin } from "../web/guards.js";

/** The administration home; the accounts, mail and audit pages hang off it as they arrive. */
export function adminRoutes(): Router {
  const router = Router();
  router.get("/admin", ...requireAdmin, (_req, res) => res.render("admin/index", { title: "Administration" }));
  return router;
}
