import { MAX_ROW_ID } from "../shared/row-ids.js";
import type { TICKET_TYPES } from "./tickets-store.js";

/** The types a customer may open; `primary_reset` is opened only through the reset request form. */
export const CUSTOMER_TICKET_TYPES = ["general", "technical", "non_technical"] as const;
export const TYPE_LABELS: Record<(typeof TICKET_TYPES)[number], string> = {
  general: "General question",
  technical: "Technical problem",
  non_technical: "Billing or other non-technical matter",
  primary_reset: "Primary account password reset",
};

export const SUBJECT_MAX = 200;
export const BODY_MAX = 10_000;

/** "#12" or "12": a ticket number; anything else is text. */
export function ticketNumberIn(q: string): number | null {
  const match = /^#?\s*(\d{1,10})$/.exec(q);
  if (!match) return null;
  const n = Number(match[1]);
  return n <= MAX_ROW_ID ? n : null;
}
