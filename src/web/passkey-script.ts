import path from "node:path";
import { Router } from "express";
import { projectRoot } from "../shared/paths.js";

/** The browser half of @simplewebauthn, as its package ships it: served from the desk itself (CSP script-src 'self'; no CDN). */
const BUNDLE = path.join(projectRoot, "node_modules", "@simplewebauthn", "browser", "dist", "bundle", "index.umd.min.js");

export const PASSKEY_LIBRARY_PATH = "/assets/simplewebauthn-browser.js";

export function passkeyBrowserScript(production: boolean): Router {
  const router = Router();
  router.get(PASSKEY_LIBRARY_PATH, (_req, res, next) => {
    res.sendFile(BUNDLE, { maxAge: production ? "1d" : 0, headers: { "Content-Type": "text/javascript; charset=utf-8" } }, (err) => err && next(err));
  });
  return router;
}
