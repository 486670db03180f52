import { spawn, type ChildProcess } from "node:child_process";
import { projectRoot } from "../../src/shared/paths.js";
import { freePort } from "./postgres-cluster.js";
import { DEMO_PASSWORD } from "./test-app.js";

/**
 * The real web server (`src/main/server.ts`) as a child process, for tests that must show the
 * process itself survives: its own port, the environment given, every byte it writes kept.
 */
export interface ServerProcess {
  url: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** True while the process has not exited. */
  alive(): boolean;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL (no shutdown of any kind), then waits for the exit. */
  kill(): Promise<void>;
}

/** Starts the server on a free port; another process may take that port before the server binds it, and then it starts again on another. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnPort(env, await freePort());
    } catch (err) {
      if (attempt === 5 || !(err instanceof PortTaken)) throw err;
    }
  }
}

class PortTaken extends Error {}

async function startOnPort(env: Record<string, string>, port: number): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "src/main/server.ts"], {
    cwd: projectRoot,
    env: {
      ...process.env,
      NODE_ENV: "test",
      SESSION_SECRET: "child-process-session-secret-long-enough",
      DEMO_PASSWORD,
      WORKER: "off",
      ...env,
      PORT: String(port),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("Vouchdesk is listening")) resolve();
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    void exited.then(() => {
      const taken = output.includes(`PORT ${port} is already in use`);
      reject(taken ? new PortTaken(output) : new Error(`the server exited before listening:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
