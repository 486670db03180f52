import { createHash } from "node:crypto";
import { createReadStream, readFileSync } from "node:fs";
import path from "node:path";
import { auditAnchorFile } from "../platform/audit/audit-anchor.js";
import { retiredKeysFile } from "../platform/mail/desk-key.js";
import { sessionSecretFile, type Config } from "../shared/config.js";
import type { Db } from "../shared/db.js";
import { projectRoot } from "../shared/paths.js";
import { dataKeyFile } from "../shared/sealing.js";

/**
 * What `npm run cli -- backup` writes and `restore` reads: a POSIX tar whose members carry the
 * names they have in a default VAR_DIR, so `tar -xf FILE -C var` by hand gives the same result.
 */
export const FORMAT_VERSION = 1;
export const MANIFEST = "manifest.json";
export const DATABASE_MEMBER = "vouchdesk.sqlite";
export const DESK_KEY_MEMBER = "desk-key.asc";
export const DATA_KEY_MEMBER = "data-key";

export type Engine = "sqlite" | "postgresql";

export interface ManifestMember {
  name: string;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  format: number;
  createdAt: string;
  appVersion: string;
  engine: Engine;
  /** The newest migration applied to the database copied (or, on PostgreSQL, the one pg_dump should be taken of). */
  latestMigration: string | null;
  /** "environment": DATA_KEY was set when the backup was made, so the data key is not in the archive. */
  dataKey: "archive" | "environment";
  members: ManifestMember[];
}

/** A backup or restore that did not happen, for a reason the operator can fix: one line, exit code 2. */
export class BackupRefused extends Error {
  override name = "BackupRefused";
}

export const engineOf = (config: Config): Engine => (config.databaseUrl.startsWith("sqlite:") ? "sqlite" : "postgresql");

export const sqliteFileOf = (config: Config) => config.databaseUrl.slice("sqlite:".length);

/** The desk's files beside its database, by member name, where this configuration keeps them. */
export function keyFiles(config: Config): Record<string, string> {
  return {
    [DESK_KEY_MEMBER]: config.deskKeyFile,
    [path.basename(retiredKeysFile(DESK_KEY_MEMBER))]: retiredKeysFile(config.deskKeyFile),
    [DATA_KEY_MEMBER]: dataKeyFile(config),
    "session-secret": sessionSecretFile(config),
    // The signed audit head: read before the database is copied, so the copy holds the head it names.
    "audit-anchor.asc": auditAnchorFile(config.varDir),
  };
}

/** Every file a backup may hold and a restore would write, by member name. */
export function memberFiles(config: Config): Record<string, string> {
  return engineOf(config) === "sqlite" ? { [DATABASE_MEMBER]: sqliteFileOf(config), ...keyFiles(config) } : keyFiles(config);
}

export const PG_TOOLS =
  'the database itself is not in it: take it with pg_dump (pg_dump --format=custom --file=vouchdesk.pgdump "$DATABASE_URL") and put it back with pg_restore (pg_restore --no-owner --dbname="$DATABASE_URL" vouchdesk.pgdump); see "Backup and restore" in the README';

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export const appVersion = () => (JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")) as { version: string }).version;

/** The newest migration knex recorded as applied, or null on a database never migrated. */
export async function latestMigration(db: Db): Promise<string | null> {
  if (!(await db.schema.hasTable("knex_migrations"))) return null;
  const row = await db<{ id: number; name: string }>("knex_migrations").orderBy("id", "desc").first("name");
  return row?.name ?? null;
}

export const formatBytes = (bytes: number) => `${bytes.toLocaleString("en")} bytes`;
