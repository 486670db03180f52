import { createHash, timingSafeEqual } from "node:crypto";
import express, { Router, type Express, type RequestHandler } from "express";
import type { DeskMetrics } from "../platform/metrics/desk-metrics.js";

/** The exposition, read fresh from the database's gauges; a scrape while the database is away answers 503. */
export function serveMetrics(metrics: DeskMetrics): RequestHandler {
  return async (_req, res) => {
    res.set("Cache-Control", "no-store");
    let body: string;
    try {
      body = await metrics.registry.metrics();
    } catch {
      res.status(503).type("text").send("database unavailable");
      return;
    }
    res.type(metrics.registry.contentType).send(body);
  };
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * /metrics on the main app, behind `Authorization: Bearer METRICS_TOKEN`: the header is hashed and
 * compared in constant time, so the answer's timing tells nothing of the token. Without a token set
 * there is no route (the app's 404).
 */
export function metricsRoutes(metrics: DeskMetrics, token: string | null): Router {
  const router = Router();
  if (!token) return router;
  const expected = digest(`Bearer ${token}`);
  router.get("/metrics", (req, res, next) => {
    if (timingSafeEqual(digest(req.get("authorization") ?? ""), expected)) return next();
    res.status(401).set("WWW-Authenticate", 'Bearer realm="metrics"').type("text").send("unauthorized");
  }, serveMetrics(metrics));
  return router;
}

/** The app of METRICS_PORT: /metrics without a token (it listens on loopback only), and nothing else. */
export function metricsOnlyApp(metrics: DeskMetrics): Express {
  const app = express();
  app.disable("x-powered-by");
  app.get("/metrics", serveMetrics(metrics));
  app.use((_req, res) => void res.status(404).type("text").send("not found"));
  return app;
}
