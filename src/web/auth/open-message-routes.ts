import path from "node:path";
import { Router } from "express";
import type { DeskKey } from "../../platform/mail/desk-key.js";
import { groupFingerprint } from "../../shared/formatting.js";
import { projectRoot } from "../../shared/paths.js";

/** openpgp.js's browser build, served by the desk itself so the page keeps CSP `script-src 'self'`. */
const OPENPGP_BROWSER_BUILD = path.join(projectRoot, "node_modules", "openpgp", "dist", "openpgp.min.mjs");
export const OPENPGP_BROWSER_PATH = "/vendor/openpgp.min.mjs";

/** `GET /vendor/openpgp.min.mjs`: a static asset, before sessions like the stylesheet. */
export function openpgpBrowserRoute(production: boolean): Router {
  const router = Router();
  router.get(OPENPGP_BROWSER_PATH, (_req, res) => {
    res.type("text/javascript").sendFile(OPENPGP_BROWSER_BUILD, { maxAge: production ? "1d" : 0 });
  });
  return router;
}

/**
 * `GET /open-message`: a public page (no sign-in: its reader is a holder who cannot sign in)
 * that opens a passphrase-locked message in the browser (public/js/open-message.js). The page
 * has no form the server answers: the message and the passphrase never leave the browser.
 */
export function openMessageRoutes(deskKey: DeskKey): Router {
  const router = Router();
  router.get("/open-message", (_req, res) => {
    // The page shows a temporary password once opened: Back after "Sign in" must not bring it out of a cache.
    res.set("Cache-Control", "no-store");
    res.render("auth/open-message", { title: "Open a locked message", deskFingerprint: groupFingerprint(deskKey.fingerprint) });
  });
  return router;
}
