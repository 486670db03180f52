import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls `condition` until it holds. The deadline is generous and only turns a hang into a
 * failure naming what never happened: tests wait for conditions, never assert durations.
 */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, deadlineMs = 15_000, everyMs = 25): Promise<void> {
  const giveUpAt = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting for ${what} after ${deadlineMs} ms`);
    await sleep(everyMs);
  }
}
