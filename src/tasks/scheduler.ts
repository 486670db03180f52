import type { Clock } from "../clock.js";
import { minutes } from "../clock.js";
import { asDate, type Db } from "../db.js";
import type { Logger } from "../logger.js";

/** A named job the worker runs on a fixed interval; `run` returns a one-line summary. */
export interface TaskDefinition {
  name: string;
  description: string;
  everyMs: number;
  run(shouldStop: () => boolean): Promise<string>;
}

export type TaskStatus = "waiting" | "running" | "done" | "failed";

export interface TaskState {
  name: string;
  description: string;
  everyMs: number;
  status: TaskStatus;
  lastStartedAt: Date | null;
  lastFinishedAt: Date | null;
  lastError: string | null;
  lastResult: string | null;
  nextRunAt: Date;
}

export type RunOutcome = { ran: true; status: "done" | "failed"; result: string } | { ran: false; reason: string };

/** A run still marked `running` after this long died with its process; it may be claimed again. */
const STALE_RUN_MS = minutes(15);

/**
 * Runs named tasks on their intervals. Each run first claims its task row, so two workers
 * (or a worker and an admin's "Run now") never run the same task at once.
 */
export class Scheduler {
  private readonly byName: Map<string, TaskDefinition>;
  private stopping = false;
  private current: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly logger: Logger,
    readonly tasks: TaskDefinition[],
  ) {
    this.byName = new Map(tasks.map((t) => [t.name, t]));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Creates the rows of tasks the database does not know yet, due at once. */
  async register(): Promise<void> {
    const now = this.clock.now();
    for (const task of this.tasks) {
      await this.db("tasks").insert({ name: task.name, status: "waiting", next_run_at: now }).onConflict("name").ignore();
    }
  }

  async states(): Promise<TaskState[]> {
    const rows = (await this.db("tasks").whereIn("name", [...this.byName.keys()])) as Record<string, unknown>[];
    const byName = new Map(rows.map((r) => [r.name as string, r]));
    return this.tasks.map((t) => {
      const r = byName.get(t.name) ?? {};
      return {
        name: t.name,
        description: t.description,
        everyMs: t.everyMs,
        status: (r.status as TaskStatus | undefined) ?? "waiting",
        lastStartedAt: asDate(r.last_started_at),
        lastFinishedAt: asDate(r.last_finished_at),
        lastError: (r.last_error as string | null | undefined) ?? null,
        lastResult: (r.last_result as string | null | undefined) ?? null,
        nextRunAt: asDate(r.next_run_at) ?? this.clock.now(),
      };
    });
  }

  /** Runs one task now, unless it is already running somewhere. */
  async run(name: string): Promise<RunOutcome> {
    const task = this.byName.get(name);
    if (!task) return { ran: false, reason: "no such task" };
    const started = this.clock.now();
    const claimed = await this.db("tasks")
      .where({ name })
      .andWhere((q) => q.whereNot("status", "running").orWhere("last_started_at", "<", new Date(started.getTime() - STALE_RUN_MS)))
      .update({ status: "running", last_started_at: started });
    if (claimed === 0) return { ran: false, reason: "it is already running" };
    let outcome: RunOutcome;
    try {
      outcome = { ran: true, status: "done", result: await task.run(() => this.stopping) };
    } catch (err) {
      this.logger.error({ err, task: name }, "task failed");
      outcome = { ran: true, status: "failed", result: err instanceof Error ? err.message : String(err) };
    }
    const finished = this.clock.now();
    await this.db("tasks")
      .where({ name })
      .update({
        status: outcome.status,
        last_finished_at: finished,
        last_result: outcome.status === "done" ? outcome.result : null,
        last_error: outcome.status === "failed" ? outcome.result : null,
        next_run_at: new Date(finished.getTime() + task.everyMs),
      });
    return outcome;
  }

  /** Runs every task whose time has come, one after another. */
  async runDue(): Promise<void> {
    const now = this.clock.now();
    const due: unknown = await this.db("tasks").where("next_run_at", "<=", now).whereNot("status", "running").select("name");
    for (const { name } of due as { name: string }[]) {
      if (this.stopping) return;
      if (this.byName.has(name)) await this.run(name);
    }
  }

  /** Polls for due tasks every `pollMs` until stopped. */
  start(pollMs: number): void {
    const tick = () => {
      if (this.stopping) return;
      this.current = this.runDue()
        .catch((err: unknown) => this.logger.error({ err }, "scheduler tick failed"))
        .finally(() => {
          if (!this.stopping) this.timer = setTimeout(tick, pollMs);
        });
    };
    tick();
  }

  /** Stops polling and waits for the run in progress, which hands back what it has not done. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.current;
  }
}
