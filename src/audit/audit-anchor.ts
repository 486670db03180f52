import { readFileSync } from "node:fs";
import path from "node:path";
import * as openpgp from "openpgp";
import type { Clock } from "../clock.js";
import type { Db } from "../db.js";
import { replaceFile } from "../durable-files.js";
import type { Logger } from "../logger.js";
import type { DeskKey } from "../mail/desk-key.js";
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

export interface AnchorDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  deskKey: DeskKey;
  file: string;
}

/** Writes the current head as a cleartext-signed line (GnuPG checks it with the key at /pgp-key.asc); unchanged heads are not written again. */
export async function anchorAuditHead(deps: AnchorDeps): Promise<string> {
  const head = await auditHead(deps.db);
  if (!head) return "the audit log is empty; nothing to anchor";
  const previous = await readUnchecked(deps.file);
  if (previous && previous.seq === head.seq && previous.hash === head.hash) return `row ${head.seq} was already anchored`;
  const anchor = { ...head, at: deps.clock.now() };
  const message = await openpgp.createCleartextMessage({ text: lineOf(anchor) });
  const signed = await openpgp.sign({ message, signingKeys: deps.deskKey.privateKey, date: anchor.at });
  replaceFile(deps.file, signed);
  deps.logger.info({ auditAnchor: { seq: anchor.seq, hash: anchor.hash, at: anchor.at.toISOString() }, signed }, "audit head anchored");
  return `row ${head.seq} anchored`;
}

/** The previous anchor's line, not checked: only to skip writing the same head again. */
async function readUnchecked(file: string): Promise<AuditAnchor | null> {
  try {
    return parseLine((await openpgp.readCleartextMessage({ cleartextMessage: readFileSync(file, "utf8") })).getText());
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
    const anchor = parseLine(String(verified.data));
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
