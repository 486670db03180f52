import type { Db } from "../db.js";
import type { Ticket } from "../tickets/tickets-store.js";

/** What the desk's ticket page shows of a primary reset request (filled in by the resets feature). */
export type ResetPanel = Record<string, unknown>;

/** The verification panel for a `primary_reset` ticket; null for any other ticket. */
export function loadResetPanel(_deps: { db: Db }, ticket: Ticket, _viewer: Express.User): Promise<ResetPanel | null> {
  return Promise.resolve(ticket.type === "primary_reset" ? {} : null);
}
