/**
 * The desk as deployed (README "Running in production"): the built app (`npm run build`, then
 * `node dist/src/main/server.js`) with NODE_ENV=production on SQLite in a temporary VAR_DIR, behind
 * Debian's nginx terminating TLS with a certificate made here with openssl. Every port comes
 * from the operating system; every process is stopped by {@link ProductionStack.stop}.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { projectRoot } from "../../src/shared/paths.js";

export const NGINX_PATH = process.env.NGINX_PATH ?? "/usr/sbin/nginx";
const START_TIMEOUT_MS = 60_000;

/** A port the operating system says is free (listen on 0, read it, let it go). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs a command to its end; throws with its output when it fails. */
export function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): string {
  const result = spawnSync(command, args, { cwd: projectRoot, env: options.env ?? process.env, input: options.input, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** A self-signed certificate for localhost and 127.0.0.1, valid one day. */
function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert]);
  return { cert, key };
}

/**
 * The server block of README "Running in production", on this test's ports and files, in a
 * configuration nginx runs with as the current user (`-p` prefix, no daemon, files in `dir`).
 */
function nginxConfig(o: { dir: string; port: number; appPort: number; cert: string; key: string }): string {
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((name) => `  ${name}_temp_path ${path.join(o.dir, `${name}-temp`)};`).join("\n");
  return `# As root (CI), the workers would otherwise switch to "nobody" and could not use the temporary directory.
${process.getuid?.() === 0 ? "user root;" : ""}
worker_processes 1;
pid ${path.join(o.dir, "nginx.pid")};
error_log ${path.join(o.dir, "nginx-error.log")} warn;
events { worker_connections 64; }
http {
  access_log ${path.join(o.dir, "nginx-access.log")};
${temp}
  server {
    listen 127.0.0.1:${o.port} ssl;
    server_name localhost;
    ssl_certificate ${o.cert};
    ssl_certificate_key ${o.key};

    location / {
      proxy_pass http://127.0.0.1:${o.appPort};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`;
}

/** A child process whose output is kept for the error message when it dies early. */
class Child {
  output = "";
  exited: Promise<number | null>;
  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    const keep = (d: Buffer) => void (this.output = (this.output + d.toString()).slice(-8000));
    process.stdout?.on("data", keep);
    process.stderr?.on("data", keep);
    this.exited = new Promise((resolve) => process.once("exit", (code) => resolve(code)));
  }

  /** SIGTERM, then SIGKILL when it has not gone within 10 s. */
  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill("SIGTERM");
    const timer = setTimeout(() => this.process.kill("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Waits until something accepts connections on the port, or the process exits, or time runs out. */
async function waitForPort(port: number, child: Child): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exited = false;
  void child.exited.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: "127.0.0.1", port }, () => resolve(true));
      socket.once("error", () => resolve(false));
      socket.once("connect", () => socket.end());
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${child.name} did not start on port ${port}${exited ? " (it exited)" : ""}:\n${child.output}`);
}

export interface ProductionStack {
  /** The address the browser uses: nginx, over HTTPS. */
  baseUrl: string;
  /** The app's own plain-HTTP address, behind nginx. */
  appUrl: string;
  databaseUrl: string;
  /** The environment the app runs with, for the CLI. */
  env: NodeJS.ProcessEnv;
  /** Output of the app and nginx so far. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Builds the app, prepares its database with `prepare` (before the app starts: a production
 * start loads no demo data), then starts the app and nginx in front of it.
 */
export async function startProductionStack(prepare: (env: NodeJS.ProcessEnv, databaseUrl: string) => Promise<void>): Promise<ProductionStack> {
  if (!existsSync(NGINX_PATH)) throw new Error(`No nginx at ${NGINX_PATH}: install Debian's package (apt-get install nginx) or set NGINX_PATH.`);
  const dir = mkdtempSync(path.join(tmpdir(), "vouchdesk-prod-"));
  const children: Child[] = [];
  const stop = async () => {
    for (const child of children.reverse()) await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run(process.execPath, [path.join(projectRoot, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"]);
    const [port, appPort] = [await freePort(), await freePort()];
    const baseUrl = `https://localhost:${port}`;
    const varDir = path.join(dir, "var");
    const databaseUrl = `sqlite:${path.join(varDir, "vouchdesk.sqlite")}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(appPort),
      BASE_URL: baseUrl,
      TRUST_PROXY: "loopback",
      VAR_DIR: varDir,
      DATABASE_URL: databaseUrl,
      SESSION_SECRET: randomBytes(32).toString("base64url"),
      MAIL_TRANSPORT: "file",
      // Its staff sign in with a password alone (no authenticator in the loop); production's default is "required".
      STAFF_SECOND_FACTOR: "optional",
      LOG_LEVEL: "warn",
    };
    mkdirSync(varDir);
    await prepare(env, databaseUrl);

    const app = new Child("the app", spawn(process.execPath, [path.join(projectRoot, "dist/src/main/server.js")], { cwd: projectRoot, env, stdio: ["ignore", "pipe", "pipe"] }));
    children.push(app);
    await waitForPort(appPort, app);

    const { cert, key } = makeCertificate(dir);
    const conf = path.join(dir, "nginx.conf");
    writeFileSync(conf, nginxConfig({ dir, port, appPort, cert, key }));
    const nginxArgs = ["-p", dir, "-c", conf, "-e", path.join(dir, "nginx-error.log"), "-g", "daemon off;"];
    const nginx = new Child("nginx", spawn(NGINX_PATH, nginxArgs, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] }));
    children.push(nginx);
    await waitForPort(port, nginx);

    return { baseUrl, appUrl: `http://127.0.0.1:${appPort}`, databaseUrl, env, output: () => children.map((c) => `--- ${c.name}\n${c.output}`).join("\n"), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
