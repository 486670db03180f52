import { hostname } from "node:os";
import type { Clock } from "../shared/clock.js";
import { seconds } from "../shared/clock.js";
import type { Config } from "../shared/config.js";
import type { Db } from "../shared/db.js";
import type { Logger } from "../shared/logger.js";
import { fetchImapRound, imapMailboxOf, STORED_KEYWORD } from "../platform/mail/inbound/imap-fetcher.js";
import { processInbound } from "../platform/mail/inbound/pipeline.js";
import { maxMessageBytes, startReceiver, type Receiver } from "../platform/mail/inbound/receiver.js";
import type { Mailer } from "../platform/mail/mailer.js";
import type { TaskDefinition } from "../platform/tasks/scheduler.js";
import { routeInboundMail } from "../tickets/index.js";

/** The inbound pipeline as a scheduled task: every worker processes received mail, each under its own leases; tickets/ says what each mail means. */
export function inboundTask(deps: { db: Db; clock: Clock; logger: Logger; workerId?: string; inboundDomain?: string | null; attachmentMaxBytes: number }, mailer: Mailer): TaskDefinition {
  const pipeline = { db: deps.db, clock: deps.clock, logger: deps.logger, inboundDomain: deps.inboundDomain ?? null, worker: deps.workerId ?? `${hostname()}:${process.pid}`, router: routeInboundMail({ db: deps.db, clock: deps.clock, mailer }, deps.attachmentMaxBytes), sender: mailer.sender, baseUrl: mailer.baseUrl, mta: hostname() };
  return {
    name: "process-inbound-mail",
    description: "Parses, authenticates and routes the mail the desk received (SMTP or IMAP): noise ignored, bounces marked on their outbox mail, DMARC failures quarantined.",
    everyMs: seconds(2),
    everyWorker: true,
    async run() {
      return `${await processInbound(pipeline)} inbound mails processed`;
    },
  };
}

/** Where IMAP_URL points and how often to look (config.inbound.imapUrl, imapPollMs). */
export interface ImapSource {
  url: string;
  pollMs: number;
}

/**
 * Fetching the IMAP mailbox of IMAP_URL as a scheduled task. Not in every worker: it runs under the task's
 * lease, in one process at a time, since two fetching one mailbox would race to take the same messages.
 */
export function imapFetchTask(deps: { db: Db; clock: Clock; logger: Logger; attachmentMaxBytes: number }, source: ImapSource): TaskDefinition {
  const mailbox = imapMailboxOf(source.url);
  return {
    name: "fetch-imap-mail",
    description: `Fetches the new mail of the IMAP mailbox ${mailbox.mailbox} on ${mailbox.host} (IMAP_URL), stores it for process-inbound-mail, then flags it taken (\\Seen and ${STORED_KEYWORD}); nothing is deleted. One process at a time.`,
    everyMs: source.pollMs,
    async run(shouldStop) {
      const round = await fetchImapRound({ ...deps, maxMessageBytes: maxMessageBytes(deps.attachmentMaxBytes) }, mailbox, shouldStop);
      return `${round.stored} mails fetched, ${round.duplicates} already stored${round.tooLarge ? `, ${round.tooLarge} too large left in the mailbox` : ""}`;
    },
  };
}

/**
 * The SMTP receiver when INBOUND_SMTP_PORT is set. The web process listens (one per desk), not the workers:
 * a desk may run several workers, and they would all want the one port; any worker processes what it stored.
 */
export async function startInboundReceiver(config: Config, db: Db, clock: Clock, logger: Logger): Promise<Receiver | null> {
  if (!config.inbound.smtp) return null;
  const receiver = await startReceiver(db, clock, logger, { ...config.inbound.smtp, sizeLimit: maxMessageBytes(config.attachmentMaxBytes) });
  logger.info({ host: config.inbound.smtp.host, port: receiver.port, protocol: config.inbound.smtp.lmtp ? "lmtp" : "smtp" }, "inbound SMTP listening");
  return receiver;
}
