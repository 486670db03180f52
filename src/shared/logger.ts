import { pino, type DestinationStream, type Logger } from "pino";

/**
 * Paths pino removes before a line is written. Request bodies are never logged at all;
 * these catch secrets that reach a log through headers or a careless field name.
 */
const REDACTED_PATHS = [
  "req.headers.cookie",
  "req.headers.authorization",
  'res.headers["set-cookie"]',
  "*.password",
  "*.new_password",
  "*.current_password",
  "*.confirm_password",
  "*.token",
  "*.sessionId",
  "*.sid",
  "*.secret",
];

/** Paths whose last segment is a credential (a single-use link's token); any case, as Express routes them. */
const TOKEN_PATH = /^\/(set-password|reset-password|objections\/changes|objections)\/[^/?]+/i;

/** The URL as it may be logged: no query string, and a link's token replaced by a placeholder. */
export function loggableUrl(url: string): string {
  return url.split("?")[0]!.replace(TOKEN_PATH, "/$1/[token]");
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
