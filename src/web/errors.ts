import { randomBytes } from "node:crypto";
import type { ErrorRequestHandler, RequestHandler } from "express";
import { isDatabaseUnavailable } from "../shared/db.js";
import { NOT_THERE, Refusal } from "../shared/problems.js";
import { loggableUrl, type Logger } from "../shared/logger.js";

/** An error whose status and message are meant for the person who made the request. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export const notFound = (message = NOT_THERE) => new HttpError(404, message);
export const forbidden = (message = "Your login does not have access to this page.") => new HttpError(403, message);

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Please sign in",
  403: "Not allowed",
  404: "Not found",
  413: "Too large",
  429: "Too many requests",
  500: "Something went wrong",
  503: "Briefly unavailable",
};

/** Seconds a browser or proxy is told to wait while the database is away. */
const RETRY_AFTER_SECONDS = 30;

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound());

/**
 * The one error handler: a plain page with the status. While the database is away, 503 "briefly
 * unavailable"; any other failure, 500 with an incident id that finds its details in the log.
 * No error's own text (a database message, a stack) ever reaches the page.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const where = { method: req.method, url: loggableUrl(req.originalUrl) };
    if (isDatabaseUnavailable(err)) {
      logger.warn({ err, ...where }, "database unavailable");
      // Nothing more is written for this request: no session save (it would fail again), no cookie,
      // no signed-in layout (whose sign-out form carries the CSRF token).
      Reflect.deleteProperty(req, "session");
      res.set("Retry-After", String(RETRY_AFTER_SECONDS));
      return res.status(503).render("errors/error", {
        title: TITLES[503],
        status: 503,
        message: "The desk is briefly unavailable. Please try again in a minute; if you were sending a form, check afterwards whether it went through.",
        user: undefined,
        flash: [],
      });
    }
    const { status, message } = describe(err);
    const incident = status >= 500 ? randomBytes(5).toString("hex") : undefined;
    if (incident) logger.error({ err, incident, ...where }, "request failed");
    res.status(status).render("errors/error", { title: TITLES[status] ?? "Error", status, message, incident });
  };
}

function describe(err: unknown): { status: number; message: string } {
  if (err instanceof HttpError) return { status: err.status, message: err.message };
  if (err instanceof Refusal) return { status: err.kind === "missing" ? 404 : 403, message: err.message };
  const e = err as { code?: string; status?: number; type?: string };
  if (e.code === "EBADCSRFTOKEN") {
    return { status: 403, message: "This form has expired or did not come from this site. Go back, reload the page and try again." };
  }
  // body-parser's own errors (malformed or oversized bodies) carry a 4xx status.
  if (typeof e.status === "number" && e.status >= 400 && e.status < 500) {
    return { status: e.status, message: e.status === 413 ? "The form sent was too large." : "The request could not be read." };
  }
  return { status: 500, message: "The desk hit an unexpected problem. It has been logged; please try again, and quote the incident reference below if you report it." };
}
