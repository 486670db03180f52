import { ImapFlow, type MailboxObject } from "imapflow";
import type { Clock } from "../../../shared/clock.js";
import type { Db } from "../../../shared/db.js";
import type { Logger } from "../../../shared/logger.js";
import { storeReceived } from "./inbound-store.js";

/**
 * The keyword a message gets once it is stored. It, not \Seen, says what was taken: a person who reads
 * the mailbox in a mail client marks messages seen, and a seen message the desk never stored would be
 * lost. \Seen is set too, so the mailbox shows what the desk has taken.
 */
export const STORED_KEYWORD = "$VouchdeskStored";

/** The mailbox IMAP_URL names: imap:// or imaps://user:password@host[:port][/mailbox]. */
export interface ImapMailbox {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password: string;
  mailbox: string;
}

export function imapMailboxOf(url: string): ImapMailbox {
  const parsed = new URL(url);
  const secure = parsed.protocol === "imaps:";
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : secure ? 993 : 143,
    secure,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    mailbox: decodeURIComponent(parsed.pathname.replace(/^\//, "")) || "INBOX",
  };
}

export interface ImapRound {
  stored: number;
  /** Fetched again but already stored: a round that stopped between storing and flagging. */
  duplicates: number;
  /** Larger than the desk takes (the SMTP receiver's limit): left unread in the mailbox, not downloaded. */
  tooLarge: number;
}

/** What a round needs: the database to store into, and the largest message it takes (maxMessageBytes). */
export interface FetchDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  maxMessageBytes: number;
}

/**
 * One fetch round: every message of the mailbox without the keyword is stored (committed) and only then
 * flagged, so a crash in between means the next round fetches it again and the store's Message-ID dedup
 * keeps it once. Nothing is deleted from the mailbox. Errors are logged without the password and thrown
 * (the task shows the round failed); the next round tries again.
 */
export async function fetchImapRound(deps: FetchDeps, box: ImapMailbox, shouldStop: () => boolean = () => false): Promise<ImapRound> {
  const where = { host: box.host, port: box.port, mailbox: box.mailbox, user: box.user };
  const client = new ImapFlow({ host: box.host, port: box.port, secure: box.secure, auth: { user: box.user, pass: box.password }, logger: false });
  // An error event of a dropped connection would otherwise end the process; the failing command reports it.
  client.on("error", () => undefined);
  const round: ImapRound = { stored: 0, duplicates: 0, tooLarge: 0 };
  try {
    await client.connect();
    const lock = await client.getMailboxLock(box.mailbox);
    try {
      const keeps = keepsKeyword(client.mailbox);
      if (!keeps) deps.logger.warn(where, `the IMAP mailbox does not keep the keyword ${STORED_KEYWORD}: unseen messages are fetched and marked \\Seen instead`);
      const uids = (await client.search(keeps ? { unKeyword: STORED_KEYWORD } : { seen: false }, { uid: true })) || [];
      let unflagged = 0;
      for (const uid of uids) {
        if (shouldStop()) break;
        const taken = await takeMessage(deps, client, box, uid, keeps);
        if (!taken) continue;
        if (taken.tooLarge) round.tooLarge++;
        else if (taken.duplicate) round.duplicates++;
        else round.stored++;
        if (!taken.flagged) unflagged++;
      }
      // Stored but not flagged (a read-only mailbox): the next round takes them again, and dedup keeps each once.
      if (unflagged) throw new Error(`${unflagged} messages were stored but could not be flagged as taken: is the mailbox read-only?`);
    } finally {
      lock.release();
    }
    await client.logout();
    return round;
  } catch (err) {
    client.close();
    const problem = withoutSecret(describe(err), box.password);
    deps.logger.error({ ...where, stored: round.stored, problem }, "IMAP fetch failed: the next round tries again");
    throw new Error(`IMAP fetch from ${box.host}:${box.port}/${box.mailbox} failed: ${problem}`, { cause: err });
  }
}

/**
 * Stores one message, committed, and only then flags it taken; null when the server no longer has
 * it. A message over the size limit is never downloaded: it is flagged taken but left unread, so a
 * person sees it in the mailbox, and the warning names its UID and size.
 */
async function takeMessage(deps: FetchDeps, client: ImapFlow, box: ImapMailbox, uid: number, keeps: boolean): Promise<{ duplicate: boolean; flagged: boolean; tooLarge?: true } | null> {
  const head = await client.fetchOne(String(uid), { size: true }, { uid: true });
  if (!head) return null;
  if ((head.size ?? 0) > deps.maxMessageBytes) {
    deps.logger.warn({ host: box.host, mailbox: box.mailbox, uid, bytes: head.size, limit: deps.maxMessageBytes }, "IMAP message larger than the desk takes: left unread in the mailbox, not stored");
    const flagged = await client.messageFlagsAdd(String(uid), [keeps ? STORED_KEYWORD : "\\Seen"], { uid: true });
    return { duplicate: false, flagged, tooLarge: true };
  }
  const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
  if (!message || !message.source) return null;
  const meta = { via: "imap" as const, envelopeFrom: null, envelopeTo: box.user.includes("@") ? [box.user.toLowerCase()] : [], remoteIp: null, helo: null };
  const { duplicate } = await storeReceived(deps.db, message.source, meta, deps.clock.now());
  const flagged = await client.messageFlagsAdd(String(uid), ["\\Seen", STORED_KEYWORD], { uid: true });
  return { duplicate, flagged };
}

/** True when the selected mailbox lets the keyword be set (imapflow silently drops a flag it does not). */
function keepsKeyword(mailbox: MailboxObject | false): boolean {
  const flags = mailbox ? mailbox.permanentFlags : undefined;
  return !flags || flags.has("\\*") || flags.has(STORED_KEYWORD);
}

/** imapflow's message says "Command failed"; the server's text says why. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const responseText = (err as { responseText?: unknown }).responseText;
  return typeof responseText === "string" && responseText ? `${err.message}: ${responseText}` : err.message;
}

function withoutSecret(text: string, secret: string): string {
  return secret ? text.split(secret).join("[redacted]") : text;
}
