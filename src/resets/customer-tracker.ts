import type { Db } from "../shared/db.js";
import { formatUtc } from "../shared/formatting.js";
import type { Ticket } from "../tickets/index.js";
import { findRequestByTicket, statesOfTickets, type ResetRequest } from "./reset-store.js";
import { RESET_ENDINGS } from "./vocabulary.js";

// What the customer who asked sees of their request: where it stands, in plain words, and
// nothing of how the desk works it (no callbacks, objections' sources, agents or numbers).

export type StepStatus = "done" | "current" | "upcoming";

/** One step of the customer's tracker. */
export interface CustomerStep {
  label: string;
  status: StepStatus;
  /** What the current step means for them; null on the others. */
  detail: string | null;
  /** The reason support gave for an end (rejected, withdrawn), as it was mailed to them. */
  reason: string | null;
}

/** The way a request goes when all is well; an end before Done replaces the steps it never reached. */
const PATH = ["Requested", "Being verified", "Approved, password sent to the primary holder", "Done"] as const;

/** The steps `labels`, those before `current` done and those after it to come; `current` has the words. */
function along(labels: readonly string[], current: number, detail: string, reason: string | null = null): CustomerStep[] {
  return labels.map((label, i) => ({
    label,
    status: i < current ? "done" : i === current ? "current" : "upcoming",
    detail: i === current ? detail : null,
    reason: i === current ? reason : null,
  }));
}

/** A request that ended after the first `reached` steps of the path, with its end as the current step. */
const endedAfter = (reached: number, end: string, detail: string, reason: string | null = null) => along([...PATH.slice(0, reached), end], reached, detail, reason);

/**
 * The customer's tracker of a request, from its state (vocabulary.ts) and whether support has
 * started verifying it: Requested → Being verified → Approved, password sent to the primary
 * holder → Done, or an end (Rejected, Withdrawn, Expired) with the reason they may see.
 */
export function customerSteps(request: Pick<ResetRequest, "state" | "rejectionReason" | "withdrawalReason" | "tempExpiresAt">, verificationStarted: boolean): CustomerStep[] {
  const until = request.tempExpiresAt ? ` It works until ${formatUtc(request.tempExpiresAt)}.` : "";
  switch (request.state) {
    case "pending":
      return verificationStarted
        ? along(PATH, 1, "Support is checking the request against your account's records. A second person at the desk approves it before anything is sent.")
        : along(PATH, 0, "Support will check the request against your account's records and call back a contact on file.");
    case "delivered":
      return along(PATH, 2, `A temporary password was sent, encrypted, to the primary login's registered address.${until} At first sign-in the primary holder chooses a new password.`);
    case "redeemed":
      return along(PATH, 3, "The primary holder signed in and chose a new password. This request is complete.");
    case "rejected":
      return endedAfter(2, "Rejected", "Support rejected the request. The primary login's password has not changed.", request.rejectionReason);
    case "withdrawn":
      return endedAfter(3, "Withdrawn", "The temporary password was withdrawn before it was used and no longer works. If the primary login is still locked out, an authorised contact can open a new request.", request.withdrawalReason);
    case "expired":
      return endedAfter(3, "Expired", "The temporary password was not used in time and no longer works. If the primary login is still locked out, open a new request.");
  }
}

/** The tracker of a reset ticket's page, and the word for its status once it ended; null for any other ticket. */
export interface CustomerTracker {
  steps: CustomerStep[];
  ending: string | null;
}

export async function customerTracker(db: Db, ticket: Ticket): Promise<CustomerTracker | null> {
  if (ticket.type !== "primary_reset") return null;
  const request = await findRequestByTicket(db, ticket.id);
  if (!request) return null;
  // Verification has started once the ticket is in work (a callback moves it there) or an agent took it on.
  const started = ticket.status !== "new" || ticket.assigneeId !== null;
  return { steps: customerSteps(request, started), ending: RESET_ENDINGS[request.state] ?? null };
}

/** For a list of tickets: how each closed reset ticket's request ended, in its status word (one query). */
export async function resetEndingsOf(db: Db, tickets: readonly Pick<Ticket, "id" | "type" | "status">[]): Promise<Map<number, string>> {
  const closed = tickets.filter((t) => t.type === "primary_reset" && t.status === "closed").map((t) => t.id);
  const endings = new Map<number, string>();
  for (const { ticketId, state } of await statesOfTickets(db, closed)) {
    const ending = RESET_ENDINGS[state];
    if (ending) endings.set(ticketId, ending);
  }
  return endings;
}
