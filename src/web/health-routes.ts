import { Router } from "express";
import type { Clock } from "../shared/clock.js";
import { pendingMigrations, type Db } from "../shared/db.js";
import type { TaskState } from "../platform/tasks/scheduler.js";

export interface HealthDeps {
  reader: Db;
  clock: Clock;
  /** The tasks' rows, when the worker runs inline in this process; null when a separate worker runs them. */
  inlineTasks: (() => Promise<TaskState[]>) | null;
}

/** Slack beyond three intervals: a tick runs due tasks one after another, and one mail run may take 30 s. */
const TASK_SLACK_MS = 60_000;

/** What keeps the desk from being ready: each task that has not started within three of its intervals (plus slack). */
function lateTasks(tasks: TaskState[], now: Date): string[] {
  return tasks.flatMap((t) => {
    const last = Math.max(t.lastStartedAt?.getTime() ?? 0, t.lastFinishedAt?.getTime() ?? 0);
    const allowed = 3 * t.everyMs + TASK_SLACK_MS;
    if (last === 0) return [`task ${t.name} has not run yet`];
    return now.getTime() - last > allowed ? [`task ${t.name} has not run in ${Math.round(allowed / 1000)} s`] : [];
  });
}

/**
 * Probes for a load balancer or orchestrator: no session, no CSRF, not in the access log. /healthz
 * is liveness (the process answers and so does the database); /readyz is readiness (the migrations
 * of this version have all run and, with the worker inline, its tasks keep running).
 */
export function healthRoutes(deps: HealthDeps): Router {
  const router = Router();
  router.get("/healthz", async (_req, res) => {
    try {
      // A read connection: on SQLite the one writer may be queued behind sign-ins' writes.
      await deps.reader.raw("select 1");
      res.type("text").send("ok");
    } catch {
      res.status(503).type("text").send("database unavailable");
    }
  });

  router.get("/readyz", async (_req, res) => {
    let problems: string[];
    try {
      const pending = await pendingMigrations(deps.reader);
      problems = pending.length ? [`${pending.length} database migration(s) not run`] : [];
      if (deps.inlineTasks) problems.push(...lateTasks(await deps.inlineTasks(), deps.clock.now()));
    } catch {
      problems = ["database unavailable"];
    }
    res.set("Cache-Control", "no-store");
    if (problems.length) res.status(503).type("text").send(`not ready:\n${problems.join("\n")}\n`);
    else res.type("text").send("ready");
  });
  return router;
}
