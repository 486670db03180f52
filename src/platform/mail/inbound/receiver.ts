import { SMTPServer, type SMTPServerSession } from "smtp-server";
import type { Clock } from "../../../shared/clock.js";
import type { Db } from "../../../shared/db.js";
import type { Logger } from "../../../shared/logger.js";
import { storeReceived } from "./inbound-store.js";

/** The largest message the receiver takes: the attachment limit for a few attachments, plus headers and base64. */
export const maxMessageBytes = (attachmentMaxBytes: number) => Math.max(25 * 1024 * 1024, attachmentMaxBytes * 2);

export interface ReceiverOptions {
  host: string;
  port: number;
  /** LMTP instead of SMTP (INBOUND_PROTOCOL=lmtp): for an MTA that hands mail over by LMTP, e.g. Postfix's lmtp transport. */
  lmtp: boolean;
  sizeLimit: number;
}

export interface Receiver {
  /** The port it listens on (the bound one when asked for port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * The SMTP/LMTP receiver an MTA relays the desk's mail to. No AUTH (it listens on loopback by default; the
 * MTA in front takes mail from the world). The raw message is stored, committed, before the 250 answer, so a
 * message acknowledged is never lost; a copy of one already stored gets 250 too and is not stored again.
 */
export async function startReceiver(db: Db, clock: Clock, logger: Logger, options: ReceiverOptions): Promise<Receiver> {
  const server = new SMTPServer({
    lmtp: options.lmtp,
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    size: options.sizeLimit,
    banner: "Vouchdesk",
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", (err: Error) => callback(err));
      stream.on("end", () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          callback(Object.assign(new Error("Message too large"), { responseCode: 552 }));
          return;
        }
        storeReceived(db, Buffer.concat(chunks), metaOf(session), clock.now()).then(
          ({ id, duplicate }) => {
            logger.info({ inbound: id, duplicate }, "inbound mail received");
            callback(null, duplicate ? "Already received" : `Queued as ${id}`);
          },
          (err: unknown) => {
            logger.error({ err }, "inbound mail could not be stored");
            callback(Object.assign(new Error("Try again later"), { responseCode: 451 }));
          },
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  server.on("error", (err) => logger.error({ err }, "inbound SMTP server error"));
  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function metaOf(session: SMTPServerSession) {
  const from = session.envelope.mailFrom;
  return {
    via: "smtp" as const,
    envelopeFrom: from ? from.address.toLowerCase() || null : null,
    envelopeTo: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
    remoteIp: session.remoteAddress || null,
    helo: session.hostNameAppearsAs || null,
  };
}
