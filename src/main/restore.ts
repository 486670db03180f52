import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import * as tar from "tar";
import { migrationSource } from "../../migrations/index.js";
import type { Config } from "../shared/config.js";
import {
  BackupRefused,
  DATA_KEY_MEMBER,
  DATABASE_MEMBER,
  DESK_KEY_MEMBER,
  engineOf,
  formatBytes,
  FORMAT_VERSION,
  keyFiles,
  MANIFEST,
  memberFiles,
  PG_TOOLS,
  sqliteFileOf,
  type Manifest,
  type ManifestMember,
} from "./backup-archive.js";

/** A manifest is a few hundred bytes; anything far larger is not one. */
const MANIFEST_MAX_BYTES = 64 * 1024;

interface ArchiveRead {
  members: Map<string, ManifestMember>;
  manifestText: string | null;
}

/**
 * `npm run cli -- restore FILE` into an empty VAR_DIR: the archive is read and checked whole
 * against its manifest before anything is written; then each member goes to a private file
 * beside its place, and only when all of them are there and match are they linked into place.
 */
export async function restore(config: Config, file: string | undefined, out: (line: string) => void): Promise<void> {
  if (!file) throw new BackupRefused("restore needs FILE, the archive written by npm run cli -- backup");
  const archive = path.resolve(file);
  if (!existsSync(archive)) throw new BackupRefused(`Not restored: there is no archive at ${archive}.`);
  const places = memberFiles(config);
  refuseOccupied(config, places);

  // Every name a backup of either engine holds: an archive of the other engine is refused by name, below.
  const names = new Set([DATABASE_MEMBER, ...Object.keys(keyFiles(config))]);
  const known = await migrationSource.getMigrations([]);
  const manifest = checkedManifest(config, archive, await readArchive(archive, names), known);
  const written = new Map<string, string>();
  try {
    const again = await readArchive(archive, names, (name) => {
      const temporary = `${places[name]!}.${process.pid}.restoring`;
      mkdirSync(path.dirname(temporary), { recursive: true, mode: 0o700 });
      written.set(name, temporary);
      return openSync(temporary, "wx", 0o600);
    });
    // The file could have changed between the two readings: what is put in place is what was checked.
    for (const member of manifest.members) {
      if (again.members.get(member.name)?.sha256 !== member.sha256) throw new BackupRefused(`Not restored: ${archive} changed while it was read; nothing was written.`);
    }
    putInPlace(written, places);
  } finally {
    for (const temporary of written.values()) rmSync(temporary, { force: true });
  }
  report(config, manifest, places, out);
}

/** A restore never mixes with a desk already there: a database or a key in the way refuses it whole. */
function refuseOccupied(config: Config, places: Record<string, string>): void {
  const sqlite = engineOf(config) === "sqlite" ? [`${sqliteFileOf(config)}-wal`, `${sqliteFileOf(config)}-shm`] : [];
  const present = [...Object.values(places), ...sqlite].filter((file) => existsSync(file));
  if (present.length > 0) {
    throw new BackupRefused(`Not restored: VAR_DIR ${config.varDir} is not empty, it already holds ${present.join(", ")}; restore only into an empty VAR_DIR (move these away first). Nothing was written.`);
  }
}

/**
 * Reads every member, hashing it; `open` (the second reading) gives the file descriptor a member
 * is written to. A member that is not a plain file of a known name is refused, so no path in the
 * archive can reach outside the desk's own files.
 */
async function readArchive(archive: string, names: Set<string>, open?: (name: string) => number): Promise<ArchiveRead> {
  const read: ArchiveRead = { members: new Map(), manifestText: null };
  let problem: string | null = null;
  try {
    await tar.t({
      file: archive,
      strict: true,
      onReadEntry(entry) {
        const name = entry.path;
        const known = name === MANIFEST || names.has(name);
        if (entry.type !== "File" || !known || read.members.has(name) || problem) {
          problem ??= `it holds ${JSON.stringify(name)}, which no Vouchdesk backup holds (or holds twice)`;
          entry.resume();
          return;
        }
        const hash = createHash("sha256");
        const chunks: Buffer[] = [];
        let bytes = 0;
        const fd = name !== MANIFEST && open ? open(name) : null;
        entry.on("data", (chunk: Buffer) => {
          hash.update(chunk);
          bytes += chunk.length;
          if (name === MANIFEST && bytes <= MANIFEST_MAX_BYTES) chunks.push(chunk);
          if (fd !== null) writeSync(fd, chunk);
        });
        entry.on("end", () => {
          if (fd !== null) {
            fsyncSync(fd);
            closeSync(fd);
          }
          if (name === MANIFEST) read.manifestText = Buffer.concat(chunks).toString("utf8");
          else read.members.set(name, { name, bytes, sha256: hash.digest("hex") });
        });
      },
    });
  } catch (err) {
    // The second reading is of an archive already checked: its failures are the disk's, not the archive's.
    if (err instanceof BackupRefused || open) throw err;
    problem ??= `it cannot be read as a tar archive (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`;
  }
  if (problem) throw new BackupRefused(`Not restored: ${archive} is damaged or not a Vouchdesk backup: ${problem}. Nothing was written.`);
  return read;
}

/** A manifest's shape, as far as the checks below read it: any other JSON (null, a list, members of null) is no manifest. */
function isManifest(value: unknown): value is Manifest {
  const isMember = (m: unknown) => {
    const member = m as Partial<ManifestMember> | null;
    return typeof member === "object" && member !== null && typeof member.name === "string" && typeof member.sha256 === "string" && typeof member.bytes === "number";
  };
  return typeof value === "object" && value !== null && Array.isArray((value as Manifest).members) && (value as Manifest).members.every(isMember);
}

/** The manifest, once every member matches its SHA-256 and the archive fits this desk's database. */
function checkedManifest(config: Config, archive: string, read: ArchiveRead, knownMigrations: string[]): Manifest {
  const refuse = (problem: string): never => {
    throw new BackupRefused(`Not restored: ${archive} ${problem}. Nothing was written.`);
  };
  let manifest: unknown = null;
  try {
    manifest = read.manifestText === null ? null : (JSON.parse(read.manifestText) as unknown);
  } catch {
    refuse(`is damaged: its ${MANIFEST} is not JSON`);
  }
  if (!isManifest(manifest)) return refuse(`is damaged or not a Vouchdesk backup: it has no ${MANIFEST} listing its members`);
  if (manifest.format !== FORMAT_VERSION) refuse(`is of backup format ${String(manifest.format)}; this Vouchdesk reads format ${FORMAT_VERSION}`);
  for (const member of manifest.members) {
    const found = read.members.get(member.name);
    if (!found) refuse(`is damaged: ${member.name}, listed in its manifest, is missing`);
    else if (found.sha256 !== member.sha256 || found.bytes !== member.bytes) refuse(`is damaged: ${member.name} does not match the SHA-256 its manifest gives`);
  }
  for (const name of read.members.keys()) {
    if (!manifest.members.some((m) => m.name === name)) refuse(`is damaged: ${name} is not listed in its manifest`);
  }
  const engine = engineOf(config);
  if (manifest.engine !== engine) {
    refuse(
      manifest.engine === "sqlite"
        ? "holds a SQLite database, but DATABASE_URL names PostgreSQL; restore it with the SQLite DATABASE_URL (or none)"
        : "was made on PostgreSQL and holds the keys alone; set DATABASE_URL to the PostgreSQL database put back with pg_restore, then restore the keys",
    );
  }
  if (manifest.latestMigration && !knownMigrations.includes(manifest.latestMigration)) {
    refuse(`holds a database migrated by a newer Vouchdesk (${manifest.appVersion}, migration ${manifest.latestMigration} is unknown here); restore it with that version`);
  }
  if (!read.members.has(DESK_KEY_MEMBER)) refuse(`holds no desk key (${DESK_KEY_MEMBER})`);
  if (engine === "sqlite" && !read.members.has(DATABASE_MEMBER)) refuse(`holds no database (${DATABASE_MEMBER})`);
  return manifest;
}

/** A new name for each file, never over one that appeared meanwhile; what was linked is taken back if one cannot be. */
function putInPlace(written: Map<string, string>, places: Record<string, string>): void {
  const linked: string[] = [];
  try {
    for (const [name, temporary] of written) {
      linkSync(temporary, places[name]!);
      linked.push(places[name]!);
    }
  } catch (err) {
    for (const file of linked) rmSync(file, { force: true });
    if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new BackupRefused(`Not restored: a file appeared in VAR_DIR while restoring (${(err as NodeJS.ErrnoException).path ?? "?"}); nothing was kept.`);
    throw err;
  }
}

function report(config: Config, manifest: Manifest, places: Record<string, string>, out: (line: string) => void): void {
  out(`Restored the backup of ${manifest.createdAt} (Vouchdesk ${manifest.appVersion}, ${manifest.engine}, latest migration ${manifest.latestMigration ?? "none"}), each file with mode 0600:`);
  for (const member of manifest.members) out(`  ${places[member.name]!}  ${formatBytes(member.bytes)}`);
  const hasDataKey = manifest.members.some((m) => m.name === DATA_KEY_MEMBER);
  if (!hasDataKey) out("The data key was not in the archive (DATA_KEY was set when it was made): start the desk with that same DATA_KEY.");
  else if (config.dataKey) out(`DATA_KEY is set in this environment and wins over the restored ${DATA_KEY_MEMBER}: it must be the key this backup's desk used.`);
  if (manifest.engine === "postgresql") out(`Only the keys were restored; ${PG_TOOLS}.`);
  out("Start the desk on it (npm start), and check the audit chain with npm run cli -- audit-verify.");
}
