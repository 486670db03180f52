import type { Db } from "../db.js";
import type { Ticket } from "../tickets/tickets-store.js";
import { RESET_STATE_LABELS } from "./reset-states.js";
import { findRequestByTicket, hasOpenObjection } from "./reset-store.js";
import { approvalConditions, changeLine, gatherFacts, type Condition, type VerificationFacts } from "./verification.js";
import type { Clock } from "../clock.js";

/** What the desk's ticket page shows of a primary reset request. */
export interface ResetPanel extends VerificationFacts {
  stateLabel: string;
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
  const conditions = approvalConditions(facts, viewer, deps.resetTwoPerson);
  return {
    ...facts,
    stateLabel: RESET_STATE_LABELS[request.state],
    objectionOpen: hasOpenObjection(request),
    conditions,
    changeLines: facts.recentChanges.map(changeLine),
    canApprove: conditions.every((c) => c.met),
    viewerIsAdmin: viewer.role === "admin",
  };
}
