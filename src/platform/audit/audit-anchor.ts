import { readFileSync } from "node:fs";
import path from "node:path";
import * as openpgp from "openpgp";
import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import { replaceFile } from "../../shared/durable-files.js";
import type { Logger } from "../../shared/logger.js";
import { appendAudit } from "./audit-log.js";
import { auditHead, auditRowHash } from "./audit-store.js";

/**
 * The chain proves every row follows the one before; only a copy of its head kept outside the
 * table shows that the newest rows are still there. The head is written, signed by the desk
 * key, to a file under VAR_DIR and to the log, on a schedule and at shutdown.
 */
export interface AuditAnchor {
  seq: number;
  hash: string;
  at: Date;
}

export const auditAnchorFile = (varDir: string) => path.join(varDir, "audit-anchor.asc");

const LINE = /^Vouchdesk audit anchor: seq=(\d+) hash=([0-9a-f]{64}) at=(\S+)$/;
const lineOf = (a: AuditAnchor) => `Vouchdesk audit anchor: seq=${a.seq} hash=${a.hash} at=${a.at.toISOString()}`;

function parseLine(text: string): AuditAnchor | null {
  const m = LINE.exec(text.trim());
  const at = m ? new Date(m[3]!) : null;
  return m && at && !Number.isNaN(at.getTime()) ? { seq: Number(m[1]), hash: m[2]!, at } : null;
}

/** The key the anchor is signed with, and the retired ones an older anchor may carry (the desk's key, wired in by src/main/). */
export interface AnchorSigningKeys {
  privateKey: openpgp.PrivateKey;
  retired: openpgp.PrivateKey[];
}

export interface AnchorDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  deskKey: AnchorSigningKeys;
  file: string;
}

/**
 * Writes the current head as a cleartext-signed line (GnuPG checks it with the key at /pgp-key.asc);
 * unchanged heads are not written again. The anchor never moves back: when the table no longer
 * holds the anchored head (newest rows deleted, chain rewritten) or the anchor cannot be checked,
 * the old file is kept as the evidence, the problem logged, and this throws, so the task's run
 * fails where /admin/tasks shows it. `npm run cli -- audit-reanchor` is the way out after a restore.
 */
export async function anchorAuditHead(deps: AnchorDeps): Promise<string> {
  // The head before the previous anchor: a newer anchor another process writes meanwhile is then skipped, not replaced.
  const head = await auditHead(deps.db);
  const previous = await readAuditAnchor(deps.file, () => Promise.resolve([deps.deskKey.privateKey, ...deps.deskKey.retired]));
  const problem = await anchorProblem(deps.db, previous);
  if (problem) {
    deps.logger.error({ file: deps.file, problem }, "audit anchor kept, not moved: the table no longer holds the anchored head");
    throw new Error(`The audit anchor ${deps.file} was kept, not moved: ${problem}. Run npm run cli -- audit-verify; only after a deliberate database restore, npm run cli -- audit-reanchor.`);
  }
  if (!head) return "the audit log is empty; nothing to anchor";
  if (previous.kind === "anchor" && previous.anchor.seq >= head.seq) return `row ${previous.anchor.seq} was already anchored`;
  return writeAnchor(deps, head);
}

/** What is wrong with the previous anchor, or null when there is none or the table still holds its head. */
async function anchorProblem(db: Db, previous: AnchorRead): Promise<string | null> {
  if (previous.kind === "none") return null;
  if (previous.kind === "invalid") return `the anchor ${previous.problem}`;
  const check = await checkAgainstAnchor(db, previous.anchor);
  return check.ok ? null : check.problem;
}

/** Signs `head` and puts it in the file, unless a newer anchor got there first (no await between that look and the write). */
async function writeAnchor(deps: AnchorDeps, head: { seq: number; hash: string }, overNewer = false): Promise<string> {
  const anchor = { ...head, at: deps.clock.now() };
  const message = await openpgp.createCleartextMessage({ text: lineOf(anchor) });
  const signed = await openpgp.sign({ message, signingKeys: deps.deskKey.privateKey, date: anchor.at });
  const onFile = seqOnFile(deps.file);
  if (!overNewer && onFile !== null && onFile > anchor.seq) return `row ${onFile} was anchored meanwhile`;
  replaceFile(deps.file, signed);
  deps.logger.info({ auditAnchor: { seq: anchor.seq, hash: anchor.hash, at: anchor.at.toISOString() }, signed }, "audit head anchored");
  return `row ${head.seq} anchored`;
}

/**
 * The operator's way out after a deliberate database restore: anchors the head as it is now,
 * whatever the old anchor held. Audited first (so the new anchor holds that row), with what it replaced.
 */
export async function reanchorAuditHead(deps: AnchorDeps): Promise<{ replaced: string; result: string }> {
  const previous = await readAuditAnchor(deps.file, () => Promise.resolve([deps.deskKey.privateKey, ...deps.deskKey.retired]));
  const problem = await anchorProblem(deps.db, previous);
  const old = previous.kind === "anchor" ? { seq: previous.anchor.seq, hash: previous.anchor.hash, at: previous.anchor.at.toISOString() } : null;
  await appendAudit(deps.db, { action: "audit.reanchored", actor: "cli", details: { file: deps.file, replaced: old, problem } }, deps.clock.now());
  const result = await writeAnchor(deps, (await auditHead(deps.db))!, true);
  const held = problem ?? "the table still held it";
  const replaced = old ? `the anchor of ${old.at} (row ${old.seq}; ${held})` : previous.kind === "none" ? "no anchor (there was none)" : `an anchor that could not be used (${held})`;
  return { replaced, result };
}

/** The seq in the anchor file's line, not checked: only to never replace a newer anchor with an older one. */
function seqOnFile(file: string): number | null {
  try {
    const line = readFileSync(file, "utf8").split(/\r?\n/).find((l) => LINE.test(l.trim()));
    return line ? parseLine(line)!.seq : null;
  } catch {
    return null;
  }
}

export type AnchorRead = { kind: "none" } | { kind: "invalid"; problem: string } | { kind: "anchor"; anchor: AuditAnchor };

/** Reads the anchor and checks that one of the desk's keys (current or retired, read only when there is an anchor) signed it. */
export async function readAuditAnchor(file: string, deskKeys: () => Promise<openpgp.PrivateKey[]>): Promise<AnchorRead> {
  let armored: string;
  try {
    armored = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? { kind: "none" } : { kind: "invalid", problem: `it cannot be read (${code ?? String(err)})` };
  }
  const verificationKeys = (await deskKeys()).map((k) => k.toPublic());
  try {
    const message = await openpgp.readCleartextMessage({ cleartextMessage: armored });
    const verified = await openpgp.verify({ message, verificationKeys, expectSigned: true });
    const anchor = parseLine(verified.data);
    return anchor ? { kind: "anchor", anchor } : { kind: "invalid", problem: "its signed line is not an audit anchor" };
  } catch (err) {
    return { kind: "invalid", problem: `it is not signed by the desk key (${(err instanceof Error ? err.message : String(err)).split("\n")[0]})` };
  }
}

export type AnchorCheck = { ok: true; since: number } | { ok: false; problem: string };

/** Whether the table still holds the anchored head. More rows after it is normal: they were written since. */
export async function checkAgainstAnchor(db: Db, anchor: AuditAnchor): Promise<AnchorCheck> {
  const headSeq = (await auditHead(db))?.seq ?? 0;
  const when = anchor.at.toISOString();
  if (headSeq < anchor.seq) {
    const gone = anchor.seq - headSeq;
    return { ok: false, problem: `the table ends at row ${headSeq}, but the anchor of ${when} holds row ${anchor.seq}: the newest ${gone} row${gone === 1 ? " was" : "s were"} deleted` };
  }
  if ((await auditRowHash(db, anchor.seq)) !== anchor.hash) {
    return { ok: false, problem: `row ${anchor.seq} is not the row anchored at ${when}: the chain was rewritten up to it` };
  }
  return { ok: true, since: headSeq - anchor.seq };
}
