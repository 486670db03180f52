import type { Request, RequestHandler } from "express";
import type { DeskMetrics } from "../platform/metrics/desk-metrics.js";

/** The route that answered, as its pattern (`/desk/tickets/:id`): never the URL, whose ids and tokens must not become labels. */
function routeOf(req: Request): string {
  const route = (req as { route?: { path: unknown } }).route;
  if (!route) return "unmatched";
  const path = Array.isArray(route.path) ? route.path.map(String).join(",") : String(route.path);
  return req.baseUrl + path;
}

/** Times each request into the duration histogram when its answer is sent. */
export function requestMetrics(metrics: DeskMetrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.requestDuration.startTimer();
    res.once("finish", () => end({ method: req.method, route: routeOf(req), status: String(res.statusCode) }));
    next();
  };
}
