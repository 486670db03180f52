import type { Db } from "../shared/db.js";
import { findMail } from "../platform/mail/outbox-store.js";
import { failedForGood } from "../platform/mail/send-failures.js";
import type { Ticket } from "../tickets/index.js";
import { RESET_STATE_LABELS } from "./reset-states.js";
import { deliveryMailsOfTickets, findRequestByTicket, hasOpenObjection } from "./reset-store.js";
import { approvalConditions, changeLine, gatherFacts, type Condition, type VerificationFacts } from "./verification.js";
import type { Clock } from "../shared/clock.js";
import { isConfirmedStaff } from "../identity/index.js";

/**
 * Where the temporary password's mail is, read from its outbox row (the one source of truth:
 * an admin's Retry that goes through makes it `sent` again with nothing else to update).
 */
export type DeliveryStatus = "waiting" | "retrying" | "sent" | "failed";

const DELIVERY_LABELS: Record<DeliveryStatus, string> = {
  waiting: "Temporary password approved; its mail is waiting to go out",
  retrying: "Temporary password approved; its mail could not be sent yet and is being retried",
  sent: RESET_STATE_LABELS.delivered,
  failed: "Delivery failed: the temporary password's mail could not be delivered",
};

export function deliveryStatusOf(mail: { status: string; nextAttemptAt: Date | null }): DeliveryStatus {
  if (mail.status === "sent") return "sent";
  if (failedForGood(mail) || mail.status === "cancelled") return "failed";
  return mail.status === "failed" ? "retrying" : "waiting";
}

/** The temporary password's mail as the panel shows it, while the request is delivered. */
export interface DeliveryView {
  status: DeliveryStatus;
  outboxId: number;
  recipient: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date | null;
  sentAt: Date | null;
}

/** What the desk's ticket page shows of a primary reset request. */
export interface ResetPanel extends VerificationFacts {
  stateLabel: string;
  delivery: DeliveryView | null;
  objectionOpen: boolean;
  conditions: Condition[];
  /** The recent changes to the records, in words. */
  changeLines: string[];
  canApprove: boolean;
  viewerIsAdmin: boolean;
}

/** The verification panel for a `primary_reset` ticket, as this agent would approve it; null for any other ticket. */
export async function loadResetPanel(deps: { db: Db; clock: Clock; resetTwoPerson: boolean }, ticket: Ticket, viewer: Express.User): Promise<ResetPanel | null> {
  if (ticket.type !== "primary_reset") return null;
  const request = await findRequestByTicket(deps.db, ticket.id);
  if (!request) return null;
  const facts = await gatherFacts(deps.db, request, deps.clock.now());
  const conditions = approvalConditions(facts, { ...viewer, confirmed: await isConfirmedStaff(deps.db, viewer.id) }, deps.resetTwoPerson);
  const mail = request.state === "delivered" && request.outboxId !== null ? await findMail(deps.db, request.outboxId) : null;
  const delivery: DeliveryView | null = mail && {
    status: deliveryStatusOf(mail),
    outboxId: mail.id,
    recipient: mail.recipient,
    attempts: mail.attempts,
    lastError: mail.lastError,
    nextAttemptAt: mail.nextAttemptAt,
    sentAt: mail.sentAt,
  };
  return {
    ...facts,
    stateLabel: delivery ? DELIVERY_LABELS[delivery.status] : RESET_STATE_LABELS[request.state],
    delivery,
    objectionOpen: hasOpenObjection(request),
    conditions,
    changeLines: facts.recentChanges.map(changeLine),
    canApprove: conditions.every((c) => c.met),
    viewerIsAdmin: viewer.role === "admin",
  };
}

/** Of these queue rows, the reset tickets whose temporary password's mail failed for good. */
export async function ticketsWithFailedDelivery(db: Db, rows: readonly { id: number; type: string }[]): Promise<Set<number>> {
  const ids = rows.filter((r) => r.type === "primary_reset").map((r) => r.id);
  const mails = await deliveryMailsOfTickets(db, ids);
  return new Set(mails.filter((m) => deliveryStatusOf(m) === "failed").map((m) => m.ticketId));
}
