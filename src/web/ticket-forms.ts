import { z } from "zod";
import { BODY_MAX, CUSTOMER_TICKET_TYPES, decodeCursor, decodeDueCursor, QUEUE_VIEWS, SUBJECT_MAX, TICKET_PRIORITIES, TICKET_STATUSES, TICKET_TYPES } from "../tickets/index.js";
import { isRowId } from "../shared/row-ids.js";

const text = (what: string, max: number) =>
  z
    .string({ error: `Write ${what}.` })
    .trim()
    .min(1, `Write ${what}.`)
    .max(max, `Keep ${what} to ${max.toLocaleString("en")} characters or fewer.`);

const choice = <T extends readonly [string, ...string[]]>(values: T, what: string) => z.enum(values, { error: `Choose ${what} from the list.` });

export const newTicketForm = z.object({
  type: choice(CUSTOMER_TICKET_TYPES, "a type"),
  subject: text("a subject", SUBJECT_MAX),
  body: text("a message", BODY_MAX),
});

export const bodyForm = z.object({ body: text("a message", BODY_MAX) });

/** "" unassigns; anything else must be a login id (the service checks it is an active agent). */
export const assignForm = z.object({
  assignee_id: z
    .string({ error: "Choose an agent from the list." })
    .trim()
    .refine((v) => v === "" || isRowId(v), "Choose an agent from the list.")
    .transform((v) => (v === "" ? null : Number(v))),
});

export const statusForm = z.object({ status: choice(TICKET_STATUSES, "a status") });
export const priorityForm = z.object({ priority: choice(TICKET_PRIORITIES, "a priority") });

const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

const BROKEN_PAGE_LINK = "This page link is broken; start again from the first page.";

/** A page cursor: newest activity's, or (the due view) soonest due's; the service checks it fits the view. */
const pageAfter = <T>(decode: (v: string) => T | null) =>
  optional(
    z
      .string({ error: BROKEN_PAGE_LINK })
      .refine((v) => decode(v) !== null, BROKEN_PAGE_LINK)
      .transform((v) => decode(v)!),
  );
const anyCursor = (v: string) => decodeCursor(v) ?? decodeDueCursor(v);

/** The queue's query string. Every value is checked: a bad one is a 400 that names it. */
export const queueQuery = z.object({
  view: optional(choice(QUEUE_VIEWS, "a view")),
  status: optional(choice(TICKET_STATUSES, "a status")),
  type: optional(choice(TICKET_TYPES, "a type")),
  assignee: optional(
    z
      .string({ error: "Choose an assignee from the list." })
      .refine((v) => ["me", "unassigned", "any"].includes(v) || isRowId(v), "Choose an assignee from the list: me, unassigned, anyone or an agent."),
  ),
  account: optional(
    z
      .string({ error: "Enter an account code: three letters, like ACM." })
      .trim()
      .regex(/^[A-Za-z]{3}$/, "Enter an account code: three letters, like ACM.")
      .transform((v) => v.toUpperCase()),
  ),
  q: optional(z.string({ error: "Enter the text to search for." }).trim().max(SUBJECT_MAX, `Keep the search to ${SUBJECT_MAX} characters or fewer.`)),
  after: pageAfter(anyCursor),
});

const BROKEN_TIMELINE_LINK = "This link to older events is broken; start again from the newest events.";

/** A ticket page's query: `before`, the timeline's page cursor (an event id; the page shows the events older than it). */
export const timelineQuery = z.object({
  before: optional(z.string({ error: BROKEN_TIMELINE_LINK }).refine(isRowId, BROKEN_TIMELINE_LINK).transform(Number)),
});

/** The customer list takes a search and the page cursor (newest activity's). */
export const listQuery = z.object({ q: queueQuery.shape.q, after: pageAfter(decodeCursor) });
