import type { RequestHandler } from "express";
import { pinoHttp } from "pino-http";
import { loggableUrl, type Logger } from "../shared/logger.js";

/** One line per request (the probes and /metrics come before it, unlogged): the URL path (tokens masked) and status only, never bodies (passwords) or cookies (session ids). */
export function accessLog(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: loggableUrl(req.url) }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
