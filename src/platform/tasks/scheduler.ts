import type { Clock } from "../../shared/clock.js";
import { asDate, type Db } from "../../shared/db.js";
import { beatEvery, startHeartbeat } from "../../shared/leases.js";
import type { Logger } from "../../shared/logger.js";

/** A named job the worker runs on a fixed interval; `run` returns a one-line summary. */
export interface TaskDefinition {
  name: string;
  description: string;
  everyMs: number;
  /**
   * Runs in every worker at once rather than in one at a time under the task's lease: the
   * work inside shares itself out with leases of its own (deliver-mail claims batches of mail).
   */
  everyWorker?: boolean;
  /** `shouldStop` turns true when the process stops or the run's lease was lost to another worker. */
  run(shouldStop: () => boolean): Promise<string>;
}

export type TaskStatus = "waiting" | "running" | "done" | "failed";

export interface TaskState {
  name: string;
  description: string;
  everyMs: number;
  everyWorker: boolean;
  status: TaskStatus;
  lastStartedAt: Date | null;
  lastFinishedAt: Date | null;
  /** The end of the last run that succeeded, kept through failed runs after it. */
  lastSucceededAt: Date | null;
  lastError: string | null;
  lastResult: string | null;
  nextRunAt: Date;
  /** The worker whose run holds the task, and until when unless its heartbeat extends it. */
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
}

export interface SchedulerOptions {
  /** This process's name in leases (host:pid:random). */
  owner: string;
  /** How long a run holds its task without a heartbeat. */
  leaseMs: number;
}

export type RunOutcome = { ran: true; status: "done" | "failed"; result: string } | { ran: false; reason: string };

/** What Run now found: the task is due now, and whether a run of it is going on. */
export interface Scheduled {
  runningSince: Date | null;
  runningOn: string | null;
}

/**
 * Runs named tasks on their intervals. A run of an ordinary task holds the task's lease
 * (owner, expires at), extended by a heartbeat while it goes on, so two workers never run it
 * at once; a lease that expired belongs to a worker that died, and the next tick of any
 * process takes the task over. Tasks marked `everyWorker` run in each worker without a lease.
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
    private readonly options: SchedulerOptions,
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
        everyWorker: t.everyWorker ?? false,
        status: (r.status as TaskStatus | undefined) ?? "waiting",
        lastStartedAt: asDate(r.last_started_at),
        lastFinishedAt: asDate(r.last_finished_at),
        lastSucceededAt: asDate(r.last_succeeded_at),
        lastError: (r.last_error as string | null | undefined) ?? null,
        lastResult: (r.last_result as string | null | undefined) ?? null,
        nextRunAt: asDate(r.next_run_at) ?? this.clock.now(),
        leaseOwner: (r.lease_owner as string | null | undefined) ?? null,
        leaseExpiresAt: asDate(r.lease_expires_at),
      };
    });
  }

  /**
   * Runs one task now, unless another run holds its lease; with `onlyIfDue`, only if its time
   * has come (a worker that read the task as due may find another already ran it).
   */
  async run(name: string, onlyIfDue = false): Promise<RunOutcome> {
    const task = this.byName.get(name);
    if (!task) return { ran: false, reason: "no such task" };
    const started = this.clock.now();
    if (task.everyWorker) await this.db("tasks").where({ name }).update({ status: "running", last_started_at: started });
    else if (!(await this.takeLease(name, started, onlyIfDue))) return { ran: false, reason: "it is already running" };

    let lost = false;
    const stopBeats = task.everyWorker
      ? () => Promise.resolve()
      : startHeartbeat(
          beatEvery(this.options.leaseMs),
          async () => {
            if (lost || (await this.extendLease(name))) return;
            lost = true;
            this.logger.warn({ task: name, owner: this.options.owner }, "task lease lost to another worker: this run stops at its next step");
          },
          (err) => this.logger.warn({ err, task: name }, "task heartbeat failed"),
        );
    let outcome: RunOutcome;
    try {
      outcome = { ran: true, status: "done", result: await task.run(() => this.stopping || lost) };
    } catch (err) {
      this.logger.error({ err, task: name }, "task failed");
      outcome = { ran: true, status: "failed", result: err instanceof Error ? err.message : String(err) };
    } finally {
      await stopBeats();
    }
    await this.finish(task, started, outcome);
    return outcome;
  }

  /**
   * Takes the task's lease when nobody holds it or its holder's lease expired (that worker
   * died mid-run: its run is taken over, and the log says whose it was). The update names
   * the holder it read, so of two workers taking over at once only one gets the lease.
   */
  private async takeLease(name: string, now: Date, onlyIfDue: boolean): Promise<boolean> {
    const row: Record<string, unknown> | undefined = await this.db("tasks").where({ name }).first("lease_owner", "lease_expires_at", "next_run_at");
    if (!row) return false;
    const holder = (row.lease_owner as string | null) ?? null;
    const expiredAt = asDate(row.lease_expires_at);
    if (holder && expiredAt && expiredAt >= now) return false;
    if (onlyIfDue && asDate(row.next_run_at)! > now) return false;
    const claim = this.db("tasks").where({ name });
    // A holder with no lease end can never renew it: taken over like an expired one.
    if (holder) claim.where({ lease_owner: holder }).andWhere((lease) => lease.where("lease_expires_at", "<", now).orWhereNull("lease_expires_at"));
    else claim.whereNull("lease_owner");
    if (onlyIfDue) claim.andWhere("next_run_at", "<=", now);
    const taken = await claim.update({ status: "running", last_started_at: now, lease_owner: this.options.owner, lease_expires_at: this.leaseFrom(now) });
    if (taken === 0) return false;
    if (holder) this.logger.warn({ task: name, previousOwner: holder, leaseExpiredAt: expiredAt }, "task lease expired: its worker stopped mid-run; taking the task over");
    return true;
  }

  /** The heartbeat: false when this worker no longer holds the task. */
  private async extendLease(name: string): Promise<boolean> {
    const now = this.clock.now();
    const extended = await this.db("tasks")
      .where({ name, lease_owner: this.options.owner })
      .andWhere("lease_expires_at", ">=", now)
      .update({ lease_expires_at: this.leaseFrom(now) });
    return extended > 0;
  }

  /**
   * Records the run and when the next one is due, and gives the lease back. A Run now asked
   * while this run went on (a due time after its start) is kept: the task runs again at once.
   */
  private async finish(task: TaskDefinition, started: Date, outcome: RunOutcome & { ran: true }): Promise<void> {
    const finished = this.clock.now();
    const next = new Date(finished.getTime() + task.everyMs);
    const row = this.db("tasks").where({ name: task.name });
    if (!task.everyWorker) row.where({ lease_owner: this.options.owner });
    const recorded = await row.update({
      status: outcome.status,
      last_finished_at: finished,
      ...(outcome.status === "done" ? { last_succeeded_at: finished } : {}),
      last_result: outcome.status === "done" ? outcome.result : null,
      last_error: outcome.status === "failed" ? outcome.result : null,
      next_run_at: this.db.raw("CASE WHEN next_run_at > ? THEN next_run_at ELSE ? END", [started, next]),
      lease_owner: null,
      lease_expires_at: null,
    });
    if (recorded === 0) this.logger.warn({ task: task.name, owner: this.options.owner }, "task run ended after another worker took its lease over; its result is not recorded");
  }

  private leaseFrom(now: Date): Date {
    return new Date(now.getTime() + this.options.leaseMs);
  }

  /**
   * Run now: makes the task due at once, so the next tick of any worker runs it; the caller
   * does not wait for the run. Null when there is no such task.
   */
  async schedule(name: string): Promise<Scheduled | null> {
    if (!this.byName.has(name)) return null;
    const now = this.clock.now();
    await this.db("tasks").where({ name }).update({ next_run_at: now });
    const row: Record<string, unknown> = await this.db("tasks").where({ name }).first("lease_owner", "lease_expires_at", "last_started_at");
    const until = asDate(row.lease_expires_at);
    const running = Boolean(row.lease_owner) && until !== null && until >= now;
    return { runningSince: running ? asDate(row.last_started_at) : null, runningOn: running ? (row.lease_owner as string) : null };
  }

  /** Runs every task whose time has come, one after another. */
  async runDue(): Promise<void> {
    const now = this.clock.now();
    const due: unknown = await this.db("tasks").where("next_run_at", "<=", now).select("name");
    for (const { name } of due as { name: string }[]) {
      if (this.stopping) return;
      if (this.byName.has(name)) await this.run(name, true);
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
