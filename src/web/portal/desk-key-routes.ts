import { Router } from "express";
import type { DeskKey } from "../../platform/mail/desk-key.js";

/** `GET /pgp-key.asc`: the desk's public key, to check the signature on its encrypted mail. */
export function deskKeyRoute(deskKey: DeskKey): Router {
  const router = Router();
  router.get("/pgp-key.asc", (_req, res) => {
    res.type("application/pgp-keys").set("Content-Disposition", 'inline; filename="vouchdesk.asc"').send(deskKey.publicArmored);
  });
  return router;
}
