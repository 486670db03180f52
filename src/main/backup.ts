import { closeSync, createWriteStream, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import * as tar from "tar";
import type { Config } from "../shared/config.js";
import { openDatabase } from "../shared/db.js";
import {
  appVersion,
  BackupRefused,
  DATA_KEY_MEMBER,
  DATABASE_MEMBER,
  engineOf,
  formatBytes,
  FORMAT_VERSION,
  keyFiles,
  latestMigration,
  MANIFEST,
  PG_TOOLS,
  sha256OfFile,
  sqliteFileOf,
  type Manifest,
} from "./backup-archive.js";

/**
 * `npm run cli -- backup FILE`: the keys, then a consistent copy of the SQLite database taken
 * with VACUUM INTO on the live database (a file copy of a WAL database may miss or tear the
 * newest commits), packed with a manifest of SHA-256s into FILE, created with mode 0600.
 */
export async function backup(config: Config, file: string | undefined, out: (line: string) => void): Promise<void> {
  if (!file) throw new BackupRefused("backup needs FILE, the archive to write (e.g. vouchdesk-backup.tar)");
  const target = path.resolve(file);
  if (existsSync(target)) throw alreadyThere(target);
  if (!existsSync(path.dirname(target))) throw new BackupRefused(`Not written: there is no folder ${path.dirname(target)} to write ${path.basename(target)} in.`);
  const engine = engineOf(config);
  if (!existsSync(config.deskKeyFile)) {
    throw new BackupRefused(`Not written: there is no desk key at ${config.deskKeyFile} (DESK_KEY_FILE); back up the desk that runs with this VAR_DIR, after its first start.`);
  }
  if (engine === "sqlite" && !existsSync(sqliteFileOf(config))) {
    throw new BackupRefused(`Not written: there is no database at ${sqliteFileOf(config)} (DATABASE_URL, or VAR_DIR); back up the desk that runs with this VAR_DIR.`);
  }
  // Private staging: the copies of the keys and the database never sit where others may read them.
  const stage = mkdtempSync(path.join(tmpdir(), "vouchdesk-backup-"));
  try {
    const names = stageKeys(config, stage);
    const db = openDatabase(config.databaseUrl);
    let migration: string | null;
    try {
      migration = await latestMigration(db);
      if (engine === "sqlite") {
        // VACUUM INTO accepts an empty file: made here with mode 0600, so the copy never exists readable by others.
        closeSync(openSync(path.join(stage, DATABASE_MEMBER), "wx", 0o600));
        await db.raw("VACUUM INTO ?", [path.join(stage, DATABASE_MEMBER)]);
        names.unshift(DATABASE_MEMBER);
      }
    } finally {
      await db.destroy();
    }
    const manifest: Manifest = {
      format: FORMAT_VERSION,
      createdAt: new Date().toISOString(),
      appVersion: appVersion(),
      engine,
      latestMigration: migration,
      dataKey: names.includes(DATA_KEY_MEMBER) ? "archive" : "environment",
      members: await Promise.all(names.map(async (name) => ({ name, bytes: statSync(path.join(stage, name)).size, sha256: await sha256OfFile(path.join(stage, name)) }))),
    };
    writeFileSync(path.join(stage, MANIFEST), JSON.stringify(manifest, null, 2) + "\n", { mode: 0o600, flag: "wx" });
    await writeArchive(stage, [MANIFEST, ...names], target);
    report(config, manifest, target, out);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Copies the key files that exist into the stage; returns their member names. */
function stageKeys(config: Config, stage: string): string[] {
  const names: string[] = [];
  for (const [name, source] of Object.entries(keyFiles(config))) {
    // With DATA_KEY set, a var/data-key left from before is not the key the desk uses: leave it out.
    if (name === DATA_KEY_MEMBER && config.dataKey) continue;
    if (!existsSync(source)) continue;
    writeFileSync(path.join(stage, name), readFileSync(source), { mode: 0o600, flag: "wx" });
    names.push(name);
  }
  return names;
}

/** The tar, into a file created for it alone (mode 0600, never over another), removed again if it cannot be finished. */
async function writeArchive(stage: string, names: string[], target: string): Promise<void> {
  const output = createWriteStream(target, { flags: "wx", mode: 0o600 });
  try {
    await pipeline(tar.create({ cwd: stage, portable: true, strict: true }, names), output);
  } catch (err) {
    // Another file of that name appeared since the check: it is left alone.
    if ((err as NodeJS.ErrnoException).code === "EEXIST") throw alreadyThere(target);
    rmSync(target, { force: true });
    throw err;
  }
}

const alreadyThere = (target: string) => new BackupRefused(`Not written: ${target} already exists, and a backup never replaces a file; choose a new name or move the old one away.`);

function report(config: Config, manifest: Manifest, target: string, out: (line: string) => void): void {
  out(`Backup written to ${target} (${formatBytes(statSync(target).size)}, mode 0600):`);
  for (const member of manifest.members) out(`  ${member.name.padEnd(22)} ${formatBytes(member.bytes)}`);
  out(`  (${MANIFEST}: format ${manifest.format}, Vouchdesk ${manifest.appVersion}, ${manifest.engine}, latest migration ${manifest.latestMigration ?? "none"}, SHA-256 of each member)`);
  if (manifest.dataKey === "environment") {
    const why = config.dataKey ? "DATA_KEY is set in the environment" : `there is no ${DATA_KEY_MEMBER} file in VAR_DIR and DATA_KEY is not set here`;
    out(`The data key is not in the archive (${why}): keep DATA_KEY safe beside it; without it no authenticator secret opens.`);
  }
  if (manifest.engine === "postgresql") out(`This archive holds the keys alone; ${PG_TOOLS}.`);
  out("The archive holds the desk's keys in clear, by design: keep it as safe as the keys themselves.");
}
