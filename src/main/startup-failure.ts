import path from "node:path";
import { ConfigError, loadConfig, type Config } from "../shared/config.js";

/** What the operator can do about a file-system error, by its code. */
const FILE_ADVICE: Record<string, string> = {
  EACCES: "this user may not write there; give it access, or point the setting at a place it may write",
  EPERM: "this user may not write there; give it access, or point the setting at a place it may write",
  EROFS: "the file system is read-only; mount it read-write, or point the setting at a writable place",
  ENOSPC: "the disk is full; free some space",
  EDQUOT: "the disk quota is used up; free some space",
  ENOTDIR: "part of the path is a file, not a directory; fix the path",
  EISDIR: "it is a directory where a file belongs; fix the path",
  // Also what a recursive mkdir says on a read-only file system.
  ENOENT: "it does not exist and could not be made; check the path, and that its file system is writable",
};

/** What the operator can do about SQLite refusing the database file, by its code. */
const SQLITE_ADVICE: Record<string, string> = {
  SQLITE_CANTOPEN: "it cannot be opened; its directory must exist and be writable by this user",
  SQLITE_READONLY: "it is read-only; make the file, its directory and its file system writable by this user",
  SQLITE_FULL: "the disk is full; free some space",
  SQLITE_IOERR: "the disk failed to read or write it; check the disk and free space",
  SQLITE_NOTADB: "it is not a SQLite database; point DATABASE_URL at the desk's database file",
  SQLITE_CORRUPT: "it is damaged; restore it from a backup (npm run cli -- restore FILE)",
};

/** What the operator can do when PostgreSQL does not let the desk in, by code (SQLSTATE or socket error). */
const POSTGRES_ADVICE: Record<string, string> = {
  ECONNREFUSED: "nothing answers at that host and port; start PostgreSQL or fix the host and port",
  ETIMEDOUT: "the server did not answer in time; check the host, the port and the network",
  ENOTFOUND: "the host name is unknown; fix the host",
  EAI_AGAIN: "the host name could not be looked up; check DNS or fix the host",
  "28P01": "the password was refused; fix the user and password",
  "28000": "the server refused this user; fix the user, or allow it in pg_hba.conf",
  "3D000": "the database does not exist; create it (createdb) or fix its name",
  "57P03": "the server is starting up or shutting down; try again in a moment",
};

const codeOf = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
};

const inside = (file: string, dir: string) => file === dir || file.startsWith(dir + path.sep);

/** The setting that chose a path, so the line says which variable to change. */
function settingFor(file: string, config: Config): string {
  const sqliteFile = config.databaseUrl.startsWith("sqlite:") ? path.resolve(config.databaseUrl.slice("sqlite:".length)) : undefined;
  if (file === config.varDir) return "VAR_DIR";
  if (sqliteFile && (file === sqliteFile || file === path.dirname(sqliteFile))) return "the database file (DATABASE_URL)";
  if (file === config.deskKeyFile || file === path.dirname(config.deskKeyFile)) return "the desk key (DESK_KEY_FILE)";
  if (inside(file, config.varDir)) return "VAR_DIR";
  return "a configured path";
}

/**
 * A start-up failure the operator can fix, as a one-line {@link ConfigError} naming the variable
 * or path and what to do; anything else comes back unchanged (a real crash, with its stack).
 */
export function startupError(err: unknown, config: Config): unknown {
  if (err instanceof ConfigError) return err;
  const code = codeOf(err);
  const filePath = (err as { path?: unknown } | null)?.path;
  if (code && FILE_ADVICE[code] && typeof filePath === "string") {
    return new ConfigError(`Cannot start: ${filePath} (${settingFor(path.resolve(filePath), config)}) failed with ${code}: ${FILE_ADVICE[code]}.`);
  }
  if (code && config.databaseUrl.startsWith("sqlite:")) {
    const advice = SQLITE_ADVICE[code];
    if (advice) return new ConfigError(`Cannot start: the SQLite database ${config.databaseUrl.slice("sqlite:".length)} (DATABASE_URL) failed with ${code}: ${advice}.`);
  }
  if (code && POSTGRES_ADVICE[code] && !config.databaseUrl.startsWith("sqlite:")) {
    const url = new URL(config.databaseUrl);
    const where = `${url.hostname || url.searchParams.get("host")}:${url.port || 5432}, database ${url.pathname.slice(1)}`;
    return new ConfigError(`Cannot start: PostgreSQL at ${where} (DATABASE_URL) failed with ${code}: ${POSTGRES_ADVICE[code]}.`);
  }
  if (code === "EADDRINUSE") return new ConfigError(`Cannot start: PORT ${config.port} is already in use; stop what listens there or set PORT to a free port.`);
  if (code === "EACCES" && (err as { syscall?: unknown }).syscall === "listen") {
    return new ConfigError(`Cannot start: PORT ${config.port} needs privileges this user lacks; set PORT above 1023.`);
  }
  return err;
}

/**
 * Ends a process that failed to start: a {@link ConfigError} is one line on standard error and
 * exit code 2; anything else is a real crash, printed with its stack, exit code 1.
 */
export function exitStartFailed(processName: string): (err: unknown) => never {
  return (err) => {
    process.stderr.write(err instanceof ConfigError ? `${err.message}\n` : `${processName} failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  };
}

/** Reads the configuration and runs a process's start, every failure on the way ended by {@link exitStartFailed}. */
export function startProcess(processName: string, start: (config: Config) => Promise<void>): void {
  const fail = exitStartFailed(processName);
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    return fail(err);
  }
  start(config).catch((err: unknown) => fail(startupError(err, config)));
}
