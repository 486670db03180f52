import type { Knex } from "knex";
import type { Sender } from "../platform/mail/compose.js";
import { randomBytes } from "node:crypto";
import { hashToken } from "../shared/tokens.js";
import { insertReplyToken } from "./reply-tokens-store.js";
import type { Ticket } from "./tickets-store.js";

// Hex, not base64url: mail systems (and the inbound pipeline) lower-case addresses.
const REPLY_ADDRESS = /^reply\+([0-9a-f]{64})@(.+)$/i;

/**
 * The Reply-To of one mail to `userId` about `ticket`: reply+<token>@INBOUND_DOMAIN, a fresh
 * 256-bit token per mail (hex), stored hashed. None when the desk takes no mail in, and never on a
 * reset ticket: a mail can never advance a reset.
 */
export async function replyAddressFor(trx: Knex.Transaction, sender: Sender, ticket: Pick<Ticket, "id" | "type">, userId: number, now: Date): Promise<string | null> {
  if (!sender.replyDomain || ticket.type === "primary_reset") return null;
  const token = randomBytes(32).toString("hex");
  await insertReplyToken(trx, { ticketId: ticket.id, userId, tokenHash: hashToken(token) }, now);
  return `reply+${token}@${sender.replyDomain}`;
}

/** The token of the first recipient that is one of our reply addresses, or null. */
export function replyTokenIn(recipients: string[], replyDomain: string | null): string | null {
  if (replyDomain === null) return null;
  for (const address of recipients) {
    const match = REPLY_ADDRESS.exec(address);
    if (match && match[2]!.toLowerCase() === replyDomain.toLowerCase()) return match[1]!.toLowerCase();
  }
  return null;
}
