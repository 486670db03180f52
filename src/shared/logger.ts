import { pino, type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";

/**
 * Paths pino removes before a line is written. Request bodies are never logged at all;
 * these catch secrets that reach a log through headers or a careless field name.
 */
const REDACTED_PATHS = [
  "password",
  "token",
  "secret",
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

/**
 * The processes' logger: JSON lines in production or whenever the output is not a terminal (a log
 * collector, a test reading the output), and readable lines for a person at a terminal otherwise.
 * The same redaction applies to both: pino removes the paths before pino-pretty sees the line.
 */
export function createProcessLogger(level: string, production: boolean): Logger {
  if (production || !process.stdout.isTTY) return createLogger(level);
  return createLogger(level, pretty({ colorize: true, translateTime: "SYS:HH:MM:ss", ignore: "pid,hostname", singleLine: true, sync: true }));
}

/**
 * Writes text (not a log line) to the logger's own output, after every line logged so far: pino
 * writes asynchronously, so a process.stdout.write could overtake them.
 */
export function writeBesideLog(logger: Logger, text: string): void {
  (logger as unknown as Record<symbol, { write(text: string): void }>)[pino.symbols.streamSym]!.write(text);
}

export type { Logger };
