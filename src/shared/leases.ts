import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

/**
 * Calls `beat` every `everyMs` while a piece of work goes on, one beat at a time, to keep
 * the work's lease alive. The returned function stops the beats and waits for one in
 * progress. A beat that throws is reported and the next one tries again: leases last three
 * beats, so one missed beat loses nothing.
 */
export function startHeartbeat(everyMs: number, beat: () => Promise<void>, onError: (err: unknown) => void): () => Promise<void> {
  let current: Promise<void> | undefined;
  const timer = setInterval(() => {
    current ??= beat()
      .catch(onError)
      .finally(() => {
        current = undefined;
      });
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await current;
  };
}

/** Beats come every third of a lease. */
export const beatEvery = (leaseMs: number) => Math.max(100, Math.floor(leaseMs / 3));

/** A worker's name in leases and attempts: which host and process held the work. */
export const newWorkerId = () => `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
