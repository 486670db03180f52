import { createHash } from "node:crypto";
import type { Clock } from "../../shared/clock.js";
import { hours, minutes } from "../../shared/clock.js";
import { scrubOverwrittenRows, type Db } from "../../shared/db.js";
import { beatEvery, newWorkerId, startHeartbeat } from "../../shared/leases.js";
import type { Logger } from "../../shared/logger.js";
import {
  carriesSecret,
  claimDue,
  extendLeases,
  findInterrupted,
  headerBlockOf,
  recordAttempt,
  recordAttempts,
  recordLostAttempt,
  releaseClaims,
  renewLeases,
  type AttemptResult,
  type DeliveryAttempt,
  type OutboxMail,
  type SentRecord,
} from "./outbox-store.js";
import type { DeskKey } from "./desk-key.js";
import { unsealWithDesk } from "./pgp.js";
import { isPermanentRefusal } from "./send-failures.js";
import type { MailTransport } from "./transports.js";

/** After this many failed attempts a mail is `dead` and waits for an admin's Retry. */
export const MAX_ATTEMPTS = 8;
/**
 * How long a claim holds a mail without a heartbeat (MAIL_LEASE_SECONDS sets it); one left
 * `sending` longer belongs to a worker that died.
 */
const DEFAULT_LEASE_MS = minutes(2);
const FIRST_RETRY_MS = minutes(1);
const MAX_RETRY_MS = hours(1);

/**
 * The wait after the n-th failure: 1 min doubling to a 1 h cap (1, 2, 4, 8, 16, 32, 60 min),
 * each ±20% at random so mails that failed together do not retry together.
 */
export function retryDelayMs(failures: number, random: () => number = Math.random): number {
  const base = Math.min(FIRST_RETRY_MS * 2 ** (failures - 1), MAX_RETRY_MS);
  return Math.round(base * (0.8 + 0.4 * random()));
}

export interface DeliveryDeps {
  db: Db;
  clock: Clock;
  transport: MailTransport;
  from: string;
  logger: Logger;
  /** Opens sealed mail just before it is handed to the transport. */
  deskKey: DeskKey;
  workerId?: string;
  /** MAIL_LEASE_SECONDS in milliseconds. */
  leaseMs?: number;
  /** At most this many mails with the server at once ({@link DEFAULT_SEND_CONCURRENCY} unless set). */
  concurrency?: number;
  /** How long one send may take before the worker gives up on it; two thirds of the lease unless set. */
  sendTimeoutMs?: number;
  /**
   * Told, after the row is recorded, of a mail the worker will not try again by itself (refused
   * for good, or dead); the composition root wires what the desk does about it. A failure of
   * this callback is logged and never undoes the recorded attempt.
   */
  onFailedForGood?: (failure: FailedForGood) => Promise<unknown>;
}

/** A mail the worker gave up on: the server's last answer, and whether it ran out of attempts (else it was refused). */
export interface FailedForGood {
  outboxId: number;
  recipient: string;
  error: string;
  attempts: number;
  dead: boolean;
}

export interface DeliveryRun {
  sent: number;
  failed: number;
  dead: number;
}

const leaseMsOf = (deps: DeliveryDeps) => deps.leaseMs ?? DEFAULT_LEASE_MS;
const leaseUntil = (deps: DeliveryDeps, now: Date) => new Date(now.getTime() + leaseMsOf(deps));
// Shorter than the lease: with its heartbeat failing, a worker gives up on a send before
// another can take the mail over, and a send that never settles cannot hold its batch forever.
const sendTimeoutMsOf = (deps: DeliveryDeps) => deps.sendTimeoutMs ?? Math.floor((leaseMsOf(deps) * 2) / 3);

/**
 * How many mails a worker hands to the server at once, at most (DeliveryDeps.concurrency):
 * twice the SMTP pool's connections (transports.ts), so each connection has its next mail
 * waiting while the server answers the one before.
 */
export const DEFAULT_SEND_CONCURRENCY = 8;

/**
 * Delivers every mail that is due, a batch at a time, until none is left or `shouldStop`
 * says so; mail claimed but not yet tried is then handed back to the queue. Every worker
 * runs this at once: each claims batches of its own, and a heartbeat keeps its leases alive
 * while it sends, so a batch comes back to the others only when this worker dies.
 *
 * A batch goes out in rounds: the mails of a round are handed to the server together and
 * their results recorded in one transaction (two commits a round, not two a mail). A run's
 * first round is one mail and each round doubles the next, up to the concurrency: a server
 * that hangs, or a stop asked, at the start of a run holds one mail in doubt, not a round.
 */
export async function deliverDue(deps: DeliveryDeps, shouldStop: () => boolean = () => false, batchSize = 4 * DEFAULT_SEND_CONCURRENCY): Promise<DeliveryRun> {
  const worker = deps.workerId ?? newWorkerId();
  const run: DeliveryRun = { sent: 0, failed: 0, dead: 0 };
  const most = Math.max(1, deps.concurrency ?? DEFAULT_SEND_CONCURRENCY);
  let roundSize = 1;
  for (;;) {
    // Before claiming: a stopping worker takes nothing it would only hand back.
    if (shouldStop()) return run;
    const now = deps.clock.now();
    await requeueInterrupted(deps, now, batchSize);
    const batch = await claimDue(deps.db, worker, now, leaseUntil(deps, now), batchSize);
    if (batch.length === 0) return run;
    const ids = batch.map((m) => m.id);
    // The mails being handed to the server, and whether a beat found one's lease gone meanwhile.
    const inFlight: InFlight = { ids: new Set(), lost: false };
    const stopBeats = startHeartbeat(
      beatEvery(leaseMsOf(deps)),
      async () => {
        const beatAt = deps.clock.now();
        const until = leaseUntil(deps, beatAt);
        for (const sending of [...inFlight.ids]) {
          if (inFlight.lost) break;
          if ((await extendLeases(deps.db, worker, [sending], beatAt, until)) === 0) {
            inFlight.lost = true;
            deps.logger.warn({ outboxId: sending, worker }, "mail lease lost while the mail was with the server: this batch stops after it");
          }
        }
        await extendLeases(deps.db, worker, ids, beatAt, until);
      },
      (err) => deps.logger.warn({ err, worker }, "mail lease heartbeat failed"),
    );
    // Mails carrying a secret sent in this batch: their overwritten copies are scrubbed once it ends.
    const secretsSent: number[] = [];
    try {
      for (let next = 0; next < batch.length; next += roundSize, roundSize = Math.min(2 * roundSize, most)) {
        if (shouldStop() || inFlight.lost) {
          await releaseClaims(deps.db, worker, ids.slice(next), deps.clock.now());
          return run;
        }
        for (const outcome of await deliverRound(deps, worker, batch.slice(next, next + roundSize), inFlight, secretsSent)) if (outcome !== "skipped") run[outcome] += 1;
      }
    } finally {
      await stopBeats();
      // The mails are sent and recorded: a failed scrub must not read as a failed send (and a retry).
      if (secretsSent.length > 0) await scrubOverwrittenRows(deps.db).catch((err: unknown) => deps.logger.warn({ err, outboxIds: secretsSent }, "could not checkpoint the database after a secret mail was sent"));
    }
  }
}

interface InFlight {
  ids: Set<number>;
  lost: boolean;
}

/**
 * A worker that died after handing a mail to the server leaves it `sending` with its lease
 * running out; the server may or may not have accepted it. That attempt is recorded as
 * interrupted (with a warning in the log) and the mail is queued to go again with the same
 * Message-ID: the one case in which a recipient can get a mail twice, and mail clients fold
 * the copy by its Message-ID.
 */
async function requeueInterrupted(deps: DeliveryDeps, now: Date, limit: number): Promise<void> {
  for (const mail of await findInterrupted(deps.db, now, limit)) {
    const attempt = mail.attempts + 1;
    const dead = attempt >= MAX_ATTEMPTS;
    const handedAt = mail.attemptStartedAt!;
    const detail = `Interrupted: worker ${mail.lockedBy} stopped after handing the mail to the server at ${handedAt.toISOString()} and its lease ran out; the server may have accepted it. ${dead ? `That was attempt ${attempt}: no more retries.` : "Sending it again with the same Message-ID."}`;
    const next = { status: dead ? ("dead" as const) : ("queued" as const), nextAttemptAt: dead ? null : now, lastError: detail };
    const recorded = await recordAttempt(deps.db, mail, { attempt, worker: mail.lockedBy!, startedAt: handedAt, finishedAt: now, outcome: "interrupted", detail }, next, now);
    if (recorded) {
      const fate = dead ? "no more retries: the mail is dead" : "sending it again with the same Message-ID";
      deps.logger.warn({ outboxId: mail.id, messageId: mail.messageId, previousWorker: mail.lockedBy, attempt }, `mail attempt interrupted by a worker that died: ${fate}`);
      if (dead) await tellFailedForGood(deps, { outboxId: mail.id, recipient: mail.recipient, error: detail, attempts: attempt, dead });
    }
  }
}

/** One mail's attempt, as sent or failed, before it is recorded. */
interface Tried {
  mail: OutboxMail;
  attempt: DeliveryAttempt;
  next: AttemptResult;
  /** Set when the attempt failed: the server's answer and what it means for the mail. */
  failure?: { error: string; permanent: boolean; dead: boolean };
}

/**
 * Hands the mails of one round to the server at once and records every result in one
 * transaction. A mail whose lease ran out before the round began is not sent ("skipped").
 * The mails it sent that carry a secret go in `secretsSent`.
 */
async function deliverRound(deps: DeliveryDeps, worker: string, round: OutboxMail[], inFlight: InFlight, secretsSent: number[]): Promise<(keyof DeliveryRun | "skipped")[]> {
  const startedAt = deps.clock.now();
  const held = new Set(await renewLeases(deps.db, worker, round.map((m) => m.id), startedAt, leaseUntil(deps, startedAt)));
  const handed = round.filter((m) => held.has(m.id));
  const tried = await Promise.all(
    handed.map(async (mail) => {
      inFlight.ids.add(mail.id);
      try {
        return await attempt(deps, worker, mail, startedAt);
      } finally {
        inFlight.ids.delete(mail.id);
      }
    }),
  );
  const recorded = await recordAttempts(deps.db, tried);
  secretsSent.push(...tried.filter((t, i) => recorded[i] && !t.failure && carriesSecret(t.mail)).map((t) => t.mail.id));
  const outcomes: (keyof DeliveryRun | "skipped")[] = round.filter((m) => !held.has(m.id)).map(() => "skipped");
  for (const [i, t] of tried.entries()) outcomes.push(await afterRecording(deps, worker, t, recorded[i]!));
  return outcomes;
}

/** Opens a sealed mail, hands it to the server and reads its answer; never throws. */
async function attempt(deps: DeliveryDeps, worker: string, mail: OutboxMail, startedAt: Date): Promise<Tried> {
  const attempt = mail.attempts + 1;
  try {
    const raw = mail.sealed ? await unsealWithDesk(mail.message, deps.deskKey) : mail.message;
    const response = await sendWithin(deps.transport, { id: mail.id, from: deps.from, to: mail.recipient, raw }, sendTimeoutMsOf(deps));
    return { mail, attempt: { attempt, worker, startedAt, finishedAt: deps.clock.now(), outcome: "sent", detail: response }, next: { status: "sent", nextAttemptAt: null, lastError: null, ...keptOf(mail, raw) } };
  } catch (err) {
    const finishedAt = deps.clock.now();
    const error = describeSendError(err);
    // Refused for good: `failed` at once with no next attempt. Otherwise back-off until dead.
    const permanent = isPermanentRefusal(err);
    const dead = !permanent && attempt >= MAX_ATTEMPTS;
    const nextAttemptAt = permanent || dead ? null : new Date(finishedAt.getTime() + retryDelayMs(attempt));
    return {
      mail,
      attempt: { attempt, worker, startedAt, finishedAt, outcome: "failed", detail: error },
      next: { status: dead ? "dead" : "failed", nextAttemptAt, lastError: error },
      failure: { error, permanent, dead },
    };
  }
}

/** Logs a recorded attempt and tells of a mail given up on; a send whose lease was lost meanwhile is noted as sent late. */
async function afterRecording(deps: DeliveryDeps, worker: string, tried: Tried, recorded: boolean): Promise<keyof DeliveryRun | "skipped"> {
  const { mail, attempt, failure } = tried;
  if (failure) {
    deps.logger.warn({ outboxId: mail.id, attempt: attempt.attempt, error: failure.error, permanent: failure.permanent, dead: failure.dead }, "mail not sent");
    if (recorded && (failure.permanent || failure.dead)) await tellFailedForGood(deps, { outboxId: mail.id, recipient: mail.recipient, error: failure.error, attempts: attempt.attempt, dead: failure.dead });
    return failure.dead ? "dead" : "failed";
  }
  if (recorded) {
    deps.logger.info({ outboxId: mail.id, attempt: attempt.attempt }, "mail sent");
    return "sent";
  }
  // The lease ran out mid-send and another worker has the mail: it may send a second copy.
  await recordLostAttempt(deps.db, mail.id, { ...attempt, outcome: "sent-late", detail: `The server accepted it (${attempt.detail}) after worker ${worker} had lost the mail to another; the recipient may get it twice, with the same Message-ID.` });
  deps.logger.warn({ outboxId: mail.id, messageId: mail.messageId, attempt: attempt.attempt, worker }, "mail sent after its lease ran out: another worker may send it again");
  return "skipped";
}

/**
 * Once a mail carrying a secret is sent, the outbox keeps its headers and digest only: nobody at
 * the desk (not the agent who read a passphrase on the phone) can open it later, and the digest
 * still tells which message went out. Other mail is kept whole.
 */
function keptOf(mail: OutboxMail, raw: string): { kept?: SentRecord } {
  if (!carriesSecret(mail)) return {};
  // The message as SMTP carries it, with CRLF line ends (sealing at rest gives them back as LF).
  const wire = raw.replace(/\r?\n/g, "\r\n");
  return { kept: { headers: headerBlockOf(wire), sha256: createHash("sha256").update(wire, "utf8").digest("hex") } };
}

/**
 * Hands one message to the transport and gives up after `ms`, closing the connection that
 * carries it: the attempt fails like any other and goes again with the same Message-ID.
 */
async function sendWithin(transport: MailTransport, message: Parameters<MailTransport["send"]>[0], ms: number): Promise<string> {
  const giveUp = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`No answer from the mail server within ${Math.round(ms / 1000)} s: the connection was closed. The server may have accepted the mail.`);
      giveUp.abort(err);
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([transport.send(message, giveUp.signal), timedOut]);
  } catch (err) {
    throw giveUp.signal.aborted ? giveUp.signal.reason : err;
  } finally {
    clearTimeout(timer);
  }
}

async function tellFailedForGood(deps: DeliveryDeps, failure: FailedForGood): Promise<void> {
  try {
    await deps.onFailedForGood?.(failure);
  } catch (err) {
    deps.logger.error({ outboxId: failure.outboxId, err }, "could not act on a mail that failed for good");
  }
}

/** The SMTP server's own words when it gave any (e.g. "535 5.7.8 Authentication failed"), else the error. */
export function describeSendError(err: unknown): string {
  const e = err as { response?: string; message?: string; code?: string };
  const text = e.response ?? e.message ?? String(err);
  return (e.code && !text.includes(e.code) ? `${e.code}: ${text}` : text).slice(0, 2000);
}
