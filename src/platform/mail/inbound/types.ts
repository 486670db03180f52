import type { Knex } from "knex";

/**
 * Mail in (issue 17): what the inbound pipeline (platform/mail/inbound) hands to the router that decides what a
 * message means (tickets/, wired by main/), and what the router answers. The pipeline has stored the raw
 * message, parsed it, checked its authenticity and set aside loops, noise and bounces before a router sees it.
 */

export interface InboundAttachment {
  filename: string | null;
  /** As the sender declared it; the attachments service types it again from its content. */
  declaredType: string | null;
  content: Buffer;
}

export interface InboundMail {
  /** The inbound_messages row. */
  id: number;
  /** The address in From:, lower-cased; null when it had none that parses. */
  from: string | null;
  fromName: string | null;
  /** Every recipient address (envelope recipients, To: and Cc:), lower-cased, without duplicates. */
  to: string[];
  subject: string;
  /** The plain-text body (the text part, or the HTML part turned into text), quoted history still in it. */
  text: string;
  messageId: string | null;
  attachments: InboundAttachment[];
  /**
   * True when the From: domain authenticated the message (DMARC pass, checked with mailauth). The pipeline
   * quarantines what fails before routing; a router sees `authenticated: false` only for a message an admin
   * released from the quarantine, and then `releasedBy` names that admin.
   */
  authenticated: boolean;
  releasedBy: number | null;
}

/** Why the sender gets a reply from the desk instead of, or besides, a ticket. */
export type AutoReplyKind =
  /** Not a reply to a ticket, and From: is no active customer login: the portal's address and nothing else. */
  | "unknown-sender"
  /** The mail asks for a password reset: resets are requested in the portal by an authorised login. */
  | "reset-by-mail"
  /** A reply to a ticket that cannot take one any more: open a new one in the portal. */
  | "ticket-closed";

export type InboundRouting =
  /** Posted as a public message on an existing ticket. */
  | { kind: "reply"; ticketId: number }
  /** Opened a new ticket. */
  | { kind: "ticket"; ticketId: number }
  /** Set aside for an admin (`reason` in words: "From: does not match the person this reply address belongs to"). */
  | { kind: "quarantine"; reason: string }
  /** Nothing posted; the sender is told why (at most one auto-reply per sender per hour, the pipeline's rule). */
  | { kind: "auto-reply"; reply: AutoReplyKind; reason: string }
  /** Nothing posted, nobody told. */
  | { kind: "ignored"; reason: string };

/**
 * Decides what a mail means and does it inside `trx`, the pipeline's transaction that also records the
 * outcome: a reply posted (or a ticket opened) and the message marked processed commit together.
 */
export type InboundRouter = (mail: InboundMail, trx: Knex.Transaction) => Promise<InboundRouting>;
