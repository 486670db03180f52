import type { Db } from "../../shared/db.js";
import { Router, type Request, type RequestHandler, type Response } from "express";
import type { z } from "zod";
import { listActiveStaff } from "../../identity/index.js";
import { resetStagesOfRows, resetTicketsInProgress, ticketsAwaitingApprovalBy } from "../../resets/index.js";
import { flash } from "../flash.js";
import { requireAgent } from "../guards.js";
import type { Problems, Result } from "../../shared/problems.js";
import { parseForm } from "../validation.js";
import { renderDeskTicket } from "./ticket-page.js";
import { cannedInsertRoute } from "./canned-insert.js";
import { bulkRoutes } from "./bulk-routes.js";
import { addAgentReply, addNote, assignTicket, findAttachmentContent, changePriority, changeStatus, DEFAULT_VIEW, deskQueue, loadSlaTargets, QUEUE_VIEWS, statusCounts, TICKET_TYPES, VIEW_LABELS, type Ticket, type TicketDeps, type ViewSubqueries } from "../../tickets/index.js";
import { actorOf } from "../request-meta.js";
import { deskTicket, NO_SUCH_FILE } from "../ticket-access.js";
import { checkedUploads, sendAttachment } from "../attachments.js";
import { notFound } from "../errors.js";
import { pathId } from "../path-ids.js";
import { assignForm, bodyForm, priorityForm, queueQuery, statusForm } from "../ticket-forms.js";
import type { Actor } from "../../shared/actor.js";
import type { CheckedFile } from "../../tickets/index.js";
import { ticketView } from "../ticket-view.js";
import { slaView } from "../sla-view.js";

/** The desk's deps: the queue reads through the read-only handle. */
export type DeskDeps = TicketDeps & { reader: Db };

/** What the queue page shows of a refused bulk change: its problems by field, and what was chosen. */
export interface BulkEcho {
  problems: Problems;
  selected: readonly string[];
  values: { assignee_id: string; status: string };
}

/** Renders the queue for a query (the page's own, or a bulk form's `return_to`); `bulk` re-shows a refused bulk form. */
export type RenderQueue = (req: Request, res: Response, raw: Record<string, unknown>, bulk?: BulkEcho) => Promise<void>;

const QUEUE_FIELDS = ["view", "status", "type", "assignee", "account", "q", "after"] as const;

/** The queue URL the bulk form comes back to: this view, filters and page. */
const queueUrl = (filter: Record<string, string>) => {
  const params = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== ""));
  return params.size > 0 ? `/desk?${params.toString()}` : "/desk";
};

function queueRenderer(deps: DeskDeps): RenderQueue {
  // The views whose tickets the resets domain knows, as subqueries of the queue's one query.
  const subqueries: ViewSubqueries = {
    resetsInProgress: () => resetTicketsInProgress(deps.reader),
    awaitingApprovalBy: (viewerId) => ticketsAwaitingApprovalBy(deps.reader, viewerId),
  };
  return async (req, res, raw, bulk) => {
    const query = parseForm(queueQuery, raw);
    const [staff, counts, targets] = await Promise.all([listActiveStaff(deps.reader), statusCounts(deps.reader), loadSlaTargets(deps.reader)]);
    const result = query.ok ? await deskQueue(deps.reader, actorOf(req), staff, query.data, subqueries) : query;
    const failed = !result.ok || bulk !== undefined;
    // The filter form shows what was asked for, even when part of it was refused.
    const filter: Record<string, string> = Object.fromEntries(QUEUE_FIELDS.map((k) => [k, typeof raw[k] === "string" ? raw[k] : ""]));
    const page = result.ok ? result.value : { rows: [], next: null };
    res.status(failed ? 400 : 200).render("desk/queue", {
      title: "Queue",
      filter,
      view: query.ok ? (query.data.view ?? DEFAULT_VIEW) : null,
      views: QUEUE_VIEWS.map((name) => ({ name, label: VIEW_LABELS[name] })),
      page,
      stages: await resetStagesOfRows(deps.reader, page.rows, deps.clock.now()),
      problems: { ...(result.ok ? {} : result.problems), ...bulk?.problems },
      bulk: { returnTo: queueUrl(filter), selected: new Set(bulk?.selected ?? []), values: bulk?.values ?? { assignee_id: "", status: "" } },
      counts,
      staff,
      types: TICKET_TYPES,
      tv: ticketView(deps.clock.now()),
      sla: slaView(deps.clock.now(), targets),
    });
  };
}

/** The agent queue, for `GET /desk` and the staff's `GET /`. */
export function deskQueueHandler(deps: DeskDeps): RequestHandler {
  const render = queueRenderer(deps);
  return (req, res) => render(req, res, req.query);
}

interface DeskAction<S extends z.ZodType> {
  path: string;
  schema: S;
  /** The form's one field, and its problem's key on the page (two forms share the field name `body`). */
  field: string;
  key: string;
  /** The form's file field's problem key, for the forms that take attachments. */
  filesKey?: string;
  run: (deps: TicketDeps, actor: Actor, ticketId: number, data: z.infer<S>, files: readonly CheckedFile[]) => Promise<Result>;
  done: string;
}

/** The agent desk: the queue and the ticket page with its timeline (a page at a time) and every action. */
export function deskRoutes(deps: DeskDeps & { resetTwoPerson: boolean; keylessDelivery: boolean; attachmentMaxBytes: number }): Router {
  const router = Router();
  router.use("/desk", ...requireAgent);

  const renderTicket = (req: Request, res: Response, ticket: Ticket, status?: number, problems?: Problems, values?: Record<string, string>) =>
    renderDeskTicket(deps, req, res, ticket, status, problems, values);

  router.get("/desk", deskQueueHandler(deps));
  bulkRoutes(router, deps, queueRenderer(deps));
  router.get("/desk/tickets/:id", async (req, res) => renderTicket(req, res, await deskTicket(deps.db, req.params.id)));

  /** One POST per action: check the form, run the rule, redirect; a refusal re-renders the page with its reason. */
  const register = <S extends z.ZodType>({ path, schema, field, key, filesKey, run, done }: DeskAction<S>) =>
    router.post(`/desk/tickets/:id/${path}`, async (req, res) => {
      const ticket = await deskTicket(deps.db, req.params.id);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const values = typeof body[field] === "string" ? { [key]: body[field] } : {};
      const form = parseForm(schema, body);
      const uploads = filesKey ? await checkedUploads(req, ticket, deps.attachmentMaxBytes, filesKey) : { ok: true as const, files: [] };
      if (!form.ok || !uploads.ok) return renderTicket(req, res, ticket, 400, { ...(form.ok ? {} : { [key]: Object.values(form.problems)[0]! }), ...(uploads.ok ? {} : uploads.problems) }, values);
      const result = await run(deps, actorOf(req), ticket.id, form.data, uploads.files);
      if (!result.ok) return renderTicket(req, res, await deskTicket(deps.db, String(ticket.id)), 400, { [key]: Object.values(result.problems)[0]! }, values);
      flash(req, "success", done);
      res.redirect(303, `/desk/tickets/${ticket.id}`);
    });

  register({ path: "replies", schema: bodyForm, field: "body", key: "reply_body", filesKey: "reply_attachments", run: (d, a, id, f, files) => addAgentReply(d, a, id, f.body, files), done: "Reply sent to the customer." });
  register({ path: "notes", schema: bodyForm, field: "body", key: "note_body", filesKey: "note_attachments", run: (d, a, id, f, files) => addNote(d, a, id, f.body, files), done: "Internal note added." });
  register({ path: "assign", schema: assignForm, field: "assignee_id", key: "assignee_id", run: (d, a, id, f) => assignTicket(d, a, id, f.assignee_id), done: "Assignment saved." });
  register({ path: "status", schema: statusForm, field: "status", key: "status", run: (d, a, id, f) => changeStatus(d, a, id, f.status), done: "Status changed." });
  register({ path: "priority", schema: priorityForm, field: "priority", key: "priority", run: (d, a, id, f) => changePriority(d, a, id, f.priority), done: "Priority changed." });
  cannedInsertRoute(router, deps.db, renderTicket);

  router.get("/desk/tickets/:id/attachments/:aid", async (req, res) => {
    const ticket = await deskTicket(deps.db, req.params.id);
    const file = await findAttachmentContent(deps.db, ticket.id, pathId(req.params.aid, NO_SUCH_FILE));
    if (!file) throw notFound(NO_SUCH_FILE);
    sendAttachment(res, file);
  });

  return router;
}
