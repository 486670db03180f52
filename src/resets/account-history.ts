import type { Db } from "../shared/db.js";
import { stagesOfRequests } from "./queue-reads.js";
import { requestsOfAccount } from "./reset-store.js";
import type { ResetStage } from "./stage.js";

// What the desk's ticket page shows of an account's other reset requests: a verifier wants to
// see how the earlier ones went. Staff only: the customer's pages never read it.

/** Another request of the account, in the queue's stage words, and the reason support gave for its end. */
export interface AccountRequest {
  ticketId: number;
  createdAt: Date;
  stage: ResetStage;
  words: string;
  /** The reason given when it was rejected or withdrawn; null otherwise. */
  reason: string | null;
}

export interface AccountRequests {
  requests: AccountRequest[];
  /** More requests than `limit` exist: the page links to the queue for them. */
  more: boolean;
}

/**
 * The account's requests other than this ticket's, newest first, at most `limit`: three queries
 * however many (the requests with their mail, their callbacks, the account's recent changes).
 */
export async function otherResetRequestsOfAccount(db: Db, accountId: number, exceptTicketId: number, now: Date, limit: number): Promise<AccountRequests> {
  const found = await requestsOfAccount(db, accountId, exceptTicketId, limit + 1);
  const stages = await stagesOfRequests(db, found.slice(0, limit), now);
  return {
    requests: stages.map(([request, { stage, words }]) => ({
      ticketId: request.ticketId,
      createdAt: request.createdAt,
      stage,
      words,
      reason: request.state === "rejected" ? request.rejectionReason : request.state === "withdrawn" ? request.withdrawalReason : null,
    })),
    more: found.length > limit,
  };
}
