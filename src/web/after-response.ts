import type { Response } from "express";
import type { Logger } from "../shared/logger.js";

/** Work waiting for its response to go out, or running, and not yet finished. */
const pending = new Set<Promise<void>>();

/**
 * Runs `work` once the response has been sent (or the client has gone), so the answer's
 * timing cannot depend on it. A failure is logged, never shown: the answer is already out.
 * Call it before sending the response.
 */
export function afterResponse(res: Response, logger: Logger, what: string, work: () => Promise<void>): void {
  const sent = new Promise<void>((resolve) => {
    res.once("finish", resolve);
    res.once("close", resolve);
  });
  const job: Promise<void> = sent
    .then(work)
    .catch((err: unknown) => logger.error({ err }, `${what} failed`))
    .finally(() => pending.delete(job));
  pending.add(job);
}

/** Resolves when every piece of work registered with {@link afterResponse} has finished (tests, shutdown). */
export async function afterResponseSettled(): Promise<void> {
  while (pending.size) await Promise.all([...pending]);
}
