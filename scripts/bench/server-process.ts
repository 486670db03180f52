import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { projectRoot } from "../../src/shared/paths.js";
import { BENCH_DIR } from "./database.js";
import type { ServerUrls } from "./server.js";

export interface BenchServer extends ServerUrls {
  /** The server process's id (its memory is read from /proc). */
  pid: number;
  /** The last few KB the server wrote (its warnings and errors), for a bench that fails. */
  output(): string;
  stop(): Promise<void>;
}

export interface ServerChoices {
  /** Adds to or overrides the server's environment (e.g. LOGIN_IP_LIMIT). */
  env?: NodeJS.ProcessEnv;
}

const COMPILED_ENTRY = path.join(BENCH_DIR, "dist/scripts/bench/server.js");
let compiled = false;

/**
 * Compiles the server with tsc (to var/bench/dist), once per bench run, so every suite runs it
 * with plain node as `npm start` runs the app: tsx's loader thread alone adds tens of MB of
 * resident memory and its own CPU time to the process being measured.
 */
function compileServerOnce(log: (line: string) => void): void {
  if (compiled) return;
  const started = Date.now();
  const tsc = path.join(projectRoot, "node_modules/typescript/bin/tsc");
  const result = spawnSync(process.execPath, [tsc, "-p", path.join(projectRoot, "scripts/bench/tsconfig.server.json")], { cwd: projectRoot, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`compiling the bench server failed:\n${result.stdout}${result.stderr}`);
  compiled = true;
  log(`compiled the server to ${path.relative(projectRoot, path.dirname(COMPILED_ENTRY))} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Starts the compiled scripts/bench/server.ts on `databaseUrl` and waits (at most 60 s) for its URLs. */
export function startServer(databaseUrl: string, varDir: string, log: (line: string) => void, choices: ServerChoices = {}): Promise<BenchServer> {
  compileServerOnce(log);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    // As deployed: behind a TLS-terminating proxy on this host (the bench sends X-Forwarded-Proto: https).
    BASE_URL: "https://desk.bench.invalid",
    TRUST_PROXY: "loopback",
    DATABASE_URL: databaseUrl,
    VAR_DIR: varDir,
    DESK_KEY_FILE: path.join(BENCH_DIR, "desk-key.asc"),
    SESSION_SECRET: randomBytes(32).toString("base64url"),
    WORKER: "off",
    // Its staff sign in with a password alone (no authenticator in the loop); production's default is "required".
    STAFF_SECOND_FACTOR: "optional",
    MAIL_TRANSPORT: "file",
    LOG_LEVEL: "warn",
    ...choices.env,
  };
  // BENCH_NODE_FLAGS passes node flags to the server only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it.
  const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeFlags, COMPILED_ENTRY], {
    cwd: projectRoot,
    env,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr!.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the bench server did not start within 60 s:\n${output}`));
    }, 60_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the bench server exited (${code}):\n${output}`));
    });
    child.once("message", (urls: ServerUrls) => {
      clearTimeout(timer);
      resolve({ ...urls, pid: child.pid!, output: () => output, stop: () => stopChild(child) });
    });
  });
}

/** SIGTERM, then SIGKILL after 10 s. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
