import type { Logger } from "../shared/logger.js";

/**
 * The last line of defence of a long-running process. A promise nobody handled (a library that
 * rethrows after calling back, a forgotten `void`) is logged and the process carries on: the
 * request it belonged to has had, or will get, its own answer. An exception that unwound the
 * whole stack leaves the process in a state nobody knows, which is truly fatal: it is logged
 * and the process exits with 1 for its supervisor to restart it.
 */
export function guardProcess(logger: Logger): void {
  process.on("unhandledRejection", (reason) => {
    logger.error({ err: reason }, "a promise failed and nothing handled it; carrying on");
  });
  process.on("uncaughtException", (err) => {
    logger.fatal({ err }, "uncaught exception; exiting");
    process.exit(1);
  });
}
