import { Router, type Request, type RequestHandler, type Response } from "express";
import { forbidden, notFound } from "../errors.js";
import { flash } from "../flash.js";
import { isStaff } from "../../shared/roles.js";
import { requireCustomer, requireSignedIn } from "../guards.js";
import type { Problems } from "../../shared/problems.js";
import { parseForm } from "../validation.js";
import { addCustomerReply, ATTACHMENTS_FIELD, createTicket, CUSTOMER_TICKET_TYPES, customerTickets, findAttachmentContent, type Ticket, type TimelineEntry, type TicketDeps } from "../../tickets/index.js";
import { checkedUploads, sendAttachment } from "../attachments.js";
import { findLoginSummary } from "../../identity/index.js";
import { customerTracker, resetEndingsOf } from "../../resets/index.js";
import { pathId } from "../path-ids.js";
import { actorOf } from "../request-meta.js";
import { customerTicket, NO_SUCH_FILE, NO_SUCH_TICKET } from "../ticket-access.js";
import { bodyForm, listQuery, newTicketForm } from "../ticket-forms.js";
import { ticketView } from "../ticket-view.js";
import { timelineFor } from "../ticket-timeline.js";

/** What was typed, to put back in the re-rendered form. */
function echo(body: unknown, fields: string[]): Record<string, string> {
  const values = (body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(fields.map((f) => [f, typeof values[f] === "string" ? values[f] : ""]));
}

export const STAFF_NEW_TICKET = "Tickets are opened by customers. Staff work them from the desk.";

/** The customer's ticket list, for `GET /tickets` and the customer's `GET /`. */
export function customerListHandler(deps: TicketDeps): RequestHandler {
  return async (req, res) => {
    const query = parseForm(listQuery, req.query);
    const page = query.ok ? await customerTickets(deps.db, actorOf(req), query.data) : { rows: [], next: null };
    // The search box shows what was typed, even when it was refused.
    const q = typeof req.query.q === "string" ? req.query.q : "";
    const after = query.ok ? query.data.after : undefined;
    const tv = ticketView(deps.clock.now(), await resetEndingsOf(deps.db, page.rows));
    res.status(query.ok ? 200 : 400).render("tickets/list", { title: "My tickets", page, after, q, problems: query.ok ? {} : query.problems, tv });
  };
}

/**
 * The customer portal: a secondary login sees the tickets it opened, the primary login all of
 * its account's; the ticket page shows the public timeline only.
 */
export function portalRoutes(deps: TicketDeps & { attachmentMaxBytes: number }): Router {
  const router = Router();
  // Staff following a ticket link land on the desk's page of the same ticket.
  router.get("/tickets/:id", requireSignedIn, (req, res, next) => {
    if (!isStaff(req.user!.role)) return next();
    // Not a ticket number but the customers' form: staff are refused it as they are /tickets.
    if (req.params.id === "new") return next(forbidden(STAFF_NEW_TICKET));
    res.redirect(303, `/desk/tickets/${pathId(req.params.id as string, NO_SUCH_TICKET)}`);
  });
  router.use("/tickets", ...requireCustomer);

  const renderNew = (res: Response, status: number, problems: Problems = {}, values: Record<string, string> = {}) =>
    res.status(status).render("tickets/new", { title: "New ticket", types: CUSTOMER_TICKET_TYPES, problems, values: { type: "", subject: "", body: "", ...values }, tv: ticketView(deps.clock.now()) });

  const renderTicket = async (req: Request, res: Response, ticket: Ticket, status = 200, problems: Problems = {}, values: Record<string, string> = {}) => {
    const base = `/tickets/${ticket.id}`;
    const [{ timeline, problems: timelineProblems }, requester, tracker] = await Promise.all([
      timelineFor(deps.db, req, ticket.id, "public", base),
      findLoginSummary(deps.db, ticket.requesterId),
      customerTracker(deps.db, ticket),
    ]);
    const tv = ticketView(deps.clock.now(), tracker?.ending ? new Map([[ticket.id, tracker.ending]]) : undefined);
    // A reset's steps are the desk's, not one agent's: the customer is not told who called back, approved or rejected (replies keep their author).
    const unsigned = (e: TimelineEntry): TimelineEntry => (e.kind === "reply" ? e : { ...e, author: null });
    const shown = tracker ? { ...timeline, first: timeline.first && unsigned(timeline.first), events: timeline.events.map(unsigned) } : timeline;
    const files = { list: timeline.files, base: `${base}/attachments` };
    const broken = Object.keys(timelineProblems).length > 0;
    res.status(broken ? 400 : status).render("tickets/show", { title: `#${ticket.id} ${ticket.subject}`, ticket, timeline: shown, files, requester, tracker, problems: { ...problems, ...timelineProblems }, values: { body: "", ...values }, tv });
  };

  router.get("/tickets", customerListHandler(deps));
  router.get("/tickets/new", (_req, res) => renderNew(res, 200));

  router.post("/tickets", async (req, res) => {
    const form = parseForm(newTicketForm, req.body);
    const uploads = await checkedUploads(req, null, deps.attachmentMaxBytes, ATTACHMENTS_FIELD);
    if (!form.ok || !uploads.ok) return renderNew(res, 400, { ...(form.ok ? {} : form.problems), ...(uploads.ok ? {} : uploads.problems) }, echo(req.body, ["type", "subject", "body"]));
    const id = await createTicket(deps, actorOf(req), form.data, uploads.files);
    flash(req, "success", `Ticket #${id} is open. We will reply here and by mail.`);
    res.redirect(303, `/tickets/${id}`);
  });

  router.get("/tickets/:id", async (req, res) => renderTicket(req, res, await customerTicket(deps.db, req.user!, req.params.id)));

  router.post("/tickets/:id/replies", async (req, res) => {
    const ticket = await customerTicket(deps.db, req.user!, req.params.id);
    const form = parseForm(bodyForm, req.body);
    const uploads = await checkedUploads(req, ticket, deps.attachmentMaxBytes, ATTACHMENTS_FIELD);
    if (!form.ok || !uploads.ok) return renderTicket(req, res, ticket, 400, { ...(form.ok ? {} : form.problems), ...(uploads.ok ? {} : uploads.problems) }, echo(req.body, ["body"]));
    const result = await addCustomerReply(deps, actorOf(req), ticket.id, form.data.body, uploads.files);
    if (!result.ok) return renderTicket(req, res, ticket, 400, result.problems, echo(req.body, ["body"]));
    flash(req, "success", "Your reply was added.");
    res.redirect(303, `/tickets/${ticket.id}`);
  });

  // Never an internal note's file: those are not in the customer's list of the ticket's files.
  router.get("/tickets/:id/attachments/:aid", async (req, res) => {
    const ticket = await customerTicket(deps.db, req.user!, req.params.id);
    const file = await findAttachmentContent(deps.db, ticket.id, pathId(req.params.aid, NO_SUCH_FILE));
    if (!file || file.internal) throw notFound(NO_SUCH_FILE);
    sendAttachment(res, file);
  });

  return router;
}
