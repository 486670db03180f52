import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { projectRoot } from "../../src/shared/paths.js";
import type { Cleanup } from "./cleanup.js";
import type { SmtpSink } from "./smtp-sink.js";
import type { TestApp } from "./test-app.js";
import { waitFor } from "./wait.js";

/** A real `npm run worker` process (run from the TypeScript sources), its log and its fate. */
export interface WorkerProcess {
  pid: number;
  /** Its log lines so far (pino JSON on stdout, anything else on stderr). */
  logs(): string;
  /** Resolves once it logged "worker started". */
  started(): Promise<void>;
  /** SIGKILL: no shutdown hook runs, no lease is handed back. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the exit (the clean shutdown); resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** What a worker process needs: the test app's database, SMTP to the sink, short leases, the same desk key. */
export function workerEnvFor(t: TestApp, sink: SmtpSink, cleanup: Cleanup): Record<string, string> {
  const varDir = mkdtempSync(path.join(tmpdir(), "vouchdesk-worker-"));
  cleanup.add(() => rmSync(varDir, { recursive: true, force: true }));
  const keyFile = path.join(varDir, "desk-key.asc");
  writeFileSync(keyFile, t.mailer.deskKey.privateKey.armor(), { mode: 0o600 });
  return {
    DATABASE_URL: t.config.databaseUrl,
    VAR_DIR: varDir,
    DESK_KEY_FILE: keyFile,
    MAIL_TRANSPORT: "smtp",
    SMTP_HOST: "127.0.0.1",
    SMTP_PORT: String(sink.port),
    MAIL_LEASE_SECONDS: "2",
    TASK_LEASE_SECONDS: "2",
  };
}

/** Starts `node --import tsx src/main/worker.ts` with `env` on top of the test's own environment. */
export function startWorkerProcess(env: Record<string, string>): WorkerProcess {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "src/main/worker.ts"], {
    cwd: projectRoot,
    env: { ...process.env, NODE_ENV: "test", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = once(child, "exit");
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      await exited;
    }
    return child.exitCode;
  };
  return {
    pid: child.pid!,
    logs: () => output,
    started: () =>
      waitFor(`worker ${child.pid} to start`, () => {
        if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}: ${output}`);
        return output.includes('"worker started"');
      }, 60_000),
    kill9: async () => {
      await end("SIGKILL");
    },
    stop: () => end("SIGTERM"),
  };
}
