import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { projectRoot } from "../../src/shared/paths.js";
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
  /** SIGTERM and wait for the exit (the clean shutdown). */
  stop(): Promise<void>;
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
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  return {
    pid: child.pid!,
    logs: () => output,
    started: () =>
      waitFor(`worker ${child.pid} to start`, () => {
        if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}: ${output}`);
        return output.includes('"worker started"');
      }, 60_000),
    kill9: () => end("SIGKILL"),
    stop: () => end("SIGTERM"),
  };
}
