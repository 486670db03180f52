import type { ErrorRequestHandler, RequestHandler } from "express";
import { loggableUrl, type Logger } from "../logger.js";

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

export const notFound = (message = "That page does not exist, or you cannot see it.") => new HttpError(404, message);
export const forbidden = (message = "Your login does not have access to this page.") => new HttpError(403, message);

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Please sign in",
  403: "Not allowed",
  404: "Not found",
  413: "Too large",
  429: "Too many requests",
  500: "Something went wrong",
};

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound());

/** The one error handler: a plain page with the status, never a stack trace outside development. */
export function errorHandler(logger: Logger, development: boolean): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const { status, message } = describe(err);
    if (status >= 500) logger.error({ err, method: req.method, url: loggableUrl(req.originalUrl) }, "request failed");
    res.status(status).render("errors/error", {
      title: TITLES[status] ?? "Error",
      status,
      message,
      stack: development && status >= 500 && err instanceof Error ? err.stack : undefined,
    });
  };
}

function describe(err: unknown): { status: number; message: string } {
  if (err instanceof HttpError) return { status: err.status, message: err.message };
  const e = err as { code?: string; status?: number; type?: string };
  if (e.code === "EBADCSRFTOKEN") {
    return { status: 403, message: "This form has expired or did not come from this site. Go back, reload the page and try again." };
  }
  // body-parser's own errors (malformed or oversized bodies) carry a 4xx status.
  if (typeof e.status === "number" && e.status >= 400 && e.status < 500) {
    return { status: e.status, message: e.status === 413 ? "The form sent was too large." : "The request could not be read." };
  }
  return { status: 500, message: "The desk hit an unexpected problem. It has been logged; please try again." };
}
