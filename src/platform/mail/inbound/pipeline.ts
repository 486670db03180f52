import type { Knex } from "knex";
import { authenticate } from "mailauth";
import { simpleParser, type AddressObject, type ParsedMail } from "mailparser";
import { hours, type Clock } from "../../../shared/clock.js";
import type { Db } from "../../../shared/db.js";
import type { Logger } from "../../../shared/logger.js";
import { composePlain, type Sender } from "../compose.js";
import { enqueue, markBounced } from "../outbox-store.js";
import { renderMailTemplate } from "../templates.js";
import { autoRepliedSince, claimReceived, recordProcessed, storeReceived, type InboundRecord, type ProcessedRecord, type ReceiptMeta } from "./inbound-store.js";
import type { AutoReplyKind, InboundMail, InboundRouter } from "./types.js";

type Resolver = (name: string, rrtype: string) => Promise<unknown>;

export interface PipelineDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  router: InboundRouter;
  /** Who auto-replies are from, and whose own mail coming back is noise. */
  sender: Sender;
  baseUrl: string;
  /** INBOUND_DOMAIN: reply+token addresses; mail From: it is our own coming back. */
  inboundDomain: string | null;
  /** This host's name in Authentication-Results. */
  mta: string;
  /** DNS for SPF/DKIM/DMARC; tests pass fixed answers. */
  resolver?: Resolver;
  worker: string;
}

const LEASE_MS = 5 * 60_000;

/**
 * The one way into the desk for a message, whatever brought it (the SMTP receiver, the IMAP fetcher): stores
 * it (once per Message-ID), committed, before the caller acknowledges it. The worker processes it later.
 */
export const receive = (db: Db, clock: Clock, raw: Buffer, meta: ReceiptMeta) => storeReceived(db, raw, meta, clock.now());

/**
 * Processes received messages under a lease: parse → authenticate → noise → bounce → quarantine → route.
 * A message whose worker dies mid-way stays 'received' and is taken over when the lease runs out.
 */
export async function processInbound(deps: PipelineDeps, batchSize = 10): Promise<number> {
  const now = deps.clock.now();
  const claimed = await claimReceived(deps.db, deps.worker, now, new Date(now.getTime() + LEASE_MS), batchSize);
  for (const record of claimed) {
    try {
      const read = await readMessage(deps, record);
      // What the mail does (a reply posted, a ticket opened, an auto-reply queued, a bounce marked) commits
      // with the record of it, or not at all: a worker that dies in between leaves neither, and the message
      // is processed once when its lease runs out, never twice.
      await deps.db.transaction(async (trx) => {
        const done = await decide(deps, trx, record, read);
        if (!(await recordProcessed(trx, deps.worker, record.id, done, deps.clock.now()))) throw new LeaseLost();
      });
    } catch (err) {
      if (err instanceof LeaseLost) {
        deps.logger.warn({ inbound: record.id }, "inbound mail taken over by another worker; its work here was undone");
        continue;
      }
      deps.logger.error({ err, inbound: record.id }, "inbound mail could not be processed");
      // Left 'received' with its lease: tried again when the lease runs out, up to a few times.
      if (record.attempts < 5) continue;
      const failed = { status: "failed" as const, fromAddress: null, subject: null, authResults: null, outcome: "Could not be processed", ticketId: null, lastError: String(err) };
      await recordProcessed(deps.db, deps.worker, record.id, failed, deps.clock.now());
    }
  }
  return claimed.length;
}

/** This worker's lease ran out and another worker took the message over: what this one did is rolled back. */
class LeaseLost extends Error {}

interface ReadMessage {
  parsed: ParsedMail;
  from: { address: string; name: string | null } | null;
  authResults: { spf: string; dkim: string; dmarc: string };
}

/** Parsing and authentication (DNS lookups): outside any transaction, so no write lock waits on the network. */
async function readMessage(deps: PipelineDeps, record: InboundRecord): Promise<ReadMessage> {
  const parsed = await simpleParser(record.raw);
  const auth = await authenticate(record.raw, {
    ip: record.remoteIp ?? undefined,
    helo: record.helo ?? undefined,
    sender: record.envelopeFrom ?? undefined,
    mta: deps.mta,
    resolver: deps.resolver as never,
    disableArc: true,
    disableBimi: true,
  });
  const authResults = {
    spf: auth.spf ? auth.spf.status.result : "none",
    dkim: dkimWords(auth.dkim.results),
    dmarc: auth.dmarc ? auth.dmarc.status.result : "none",
  };
  return { parsed, from: firstAddress(parsed.from), authResults };
}

/** Where a message goes; its writes are in `trx`, the transaction that records the outcome. */
async function decide(deps: PipelineDeps, trx: Knex.Transaction, record: InboundRecord, { parsed, from, authResults }: ReadMessage): Promise<ProcessedRecord> {
  const withAuth = { fromAddress: from?.address ?? null, subject: parsed.subject ?? "", ticketId: null, authResults };

  const noise = noiseReason(parsed, from?.address ?? null, deps);
  const bounce = isDsn(parsed) ? await handleBounce(deps, trx, record.raw) : null;
  if (bounce !== null) return { ...withAuth, status: "bounce", outcome: bounce };
  if (noise) return { ...withAuth, status: "ignored", outcome: noise };

  // Only a DMARC pass authenticates a From:; a domain without DMARC is quarantined for an admin to judge
  // (and routed once an admin released it).
  if (authResults.dmarc !== "pass" && record.releasedBy === null) {
    return { ...withAuth, status: "quarantined", outcome: `Quarantined: DMARC ${authResults.dmarc} for the From: domain` };
  }

  const routing = await deps.router(inboundMailOf(record, parsed, from, authResults.dmarc === "pass"), trx);
  switch (routing.kind) {
    case "reply":
      return { ...withAuth, status: "routed", outcome: `Reply on ticket #${routing.ticketId}`, ticketId: routing.ticketId };
    case "ticket":
      return { ...withAuth, status: "routed", outcome: `New ticket #${routing.ticketId}`, ticketId: routing.ticketId };
    case "quarantine":
      return { ...withAuth, status: "quarantined", outcome: `Quarantined: ${routing.reason}` };
    case "ignored":
      return { ...withAuth, status: "ignored", outcome: routing.reason };
    case "auto-reply": {
      const sent = from ? await autoReply(deps, trx, from.address, routing.reply) : null;
      return { ...withAuth, status: "auto-replied", outcome: `${routing.reason}${sent ? "; auto-reply sent" : "; no auto-reply (one sent to this sender within the hour)"}`, autoRepliedAt: sent };
    }
  }
}

/** Why a message is noise nobody answers, or null. */
function noiseReason(parsed: ParsedMail, from: string | null, deps: PipelineDeps): string | null {
  const autoSubmitted = headerText(parsed, "auto-submitted").toLowerCase();
  if (autoSubmitted && autoSubmitted !== "no") return `Ignored: Auto-Submitted: ${autoSubmitted}`;
  const precedence = headerText(parsed, "precedence").toLowerCase();
  if (["bulk", "list", "junk"].includes(precedence)) return `Ignored: Precedence: ${precedence}`;
  if (from === null) return "Ignored: no From: address";
  const local = from.split("@")[0]!;
  if (["mailer-daemon", "postmaster"].includes(local)) return `Ignored: from ${from}`;
  const own = (/<([^>]+)>/.exec(deps.sender.from)?.[1] ?? deps.sender.from).toLowerCase();
  const domain = from.split("@")[1] ?? "";
  if (from === own || (deps.inboundDomain !== null && domain === deps.inboundDomain.toLowerCase())) return "Ignored: our own mail";
  return null;
}

const isDsn = (parsed: ParsedMail) => {
  const type = parsed.headers.get("content-type") as { value?: string; params?: Record<string, string> } | undefined;
  return type?.value === "multipart/report" && type.params?.["report-type"]?.toLowerCase() === "delivery-status";
};

/** Marks the outbox mails a DSN names failed with its reason; the words for the log, or null when it names none of ours. */
async function handleBounce(deps: PipelineDeps, trx: Knex.Transaction, raw: Buffer): Promise<string> {
  const text = raw.toString("utf8");
  const ids = [...new Set([...text.matchAll(/<[^<>\s@]+@[^<>\s]+>/g)].map((m) => m[0]))];
  const reason = /^Diagnostic-Code:\s*(.+(?:\r?\n[ \t].+)*)/im.exec(text)?.[1]?.replace(/\s+/g, " ").trim() ?? /^Status:\s*(\S+)/im.exec(text)?.[1] ?? "delivery failed";
  const marked = await markBounced(trx, ids, reason, deps.clock.now());
  if (marked.length === 0) return "Bounce for no mail of ours";
  return `Bounce: outbox mail ${marked.map((id) => `#${id}`).join(", ")} failed (${reason})`;
}

/** One auto-reply per sender per hour; the time it was queued, or null when one went out within the hour. */
async function autoReply(deps: PipelineDeps, trx: Knex.Transaction, to: string, kind: AutoReplyKind): Promise<Date | null> {
  const now = deps.clock.now();
  if (await autoRepliedSince(trx, to, new Date(now.getTime() - hours(1)))) return null;
  const content = await renderMailTemplate("auto-reply", { kind, baseUrl: deps.baseUrl }, false);
  const mail = await composePlain(deps.sender, { to, subject: "About your mail to Vouchdesk", template: "auto-reply", text: content.text, html: null, autoReplied: true }, now);
  await enqueue(trx, mail, now);
  return now;
}

function inboundMailOf(record: InboundRecord, parsed: ParsedMail, from: { address: string; name: string | null } | null, authenticated: boolean): InboundMail {
  const to = new Set(record.envelopeTo);
  for (const list of [parsed.to, parsed.cc]) for (const a of addressesOf(list)) to.add(a.address);
  return {
    id: record.id,
    from: from?.address ?? null,
    fromName: from?.name ?? null,
    to: [...to],
    subject: parsed.subject ?? "",
    text: parsed.text ?? "",
    messageId: parsed.messageId ?? null,
    // Parts embedded in the HTML (a signature's logo, cid: images) are part of the text, not files.
    attachments: parsed.attachments.filter((a) => !a.related).map((a) => ({ filename: a.filename ?? null, declaredType: a.contentType || null, content: a.content })),
    authenticated,
    releasedBy: record.releasedBy,
  };
}

function addressesOf(value: AddressObject | AddressObject[] | undefined): { address: string; name: string | null }[] {
  const objects = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return objects.flatMap((o) => o.value).flatMap((a) => (a.address ? [{ address: a.address.toLowerCase(), name: a.name || null }] : []));
}

const firstAddress = (value: AddressObject | AddressObject[] | undefined) => addressesOf(value)[0] ?? null;

const headerText = (parsed: ParsedMail, name: string): string => {
  const value = parsed.headers.get(name);
  return typeof value === "string" ? value.trim() : "";
};

const dkimWords = (results: { signingDomain?: string; status: { result: string } }[]) =>
  results.length === 0 ? "none" : results.map((r) => `${r.status.result}${r.signingDomain ? ` (${r.signingDomain})` : ""}`).join(", ");
