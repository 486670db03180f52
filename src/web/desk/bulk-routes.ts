import { parse as parseQueryString } from "node:querystring";
import type { Request, Response, Router } from "express";
import { z } from "zod";
import type { Problems } from "../../shared/problems.js";
import { isRowId } from "../../shared/row-ids.js";
import { applyBulkChange, BULK_MAX, bulkSummaryText, TICKET_STATUSES, type BulkChange, type TicketDeps } from "../../tickets/index.js";
import { flash } from "../flash.js";
import { actorOf } from "../request-meta.js";
import { localPath } from "../step-up.js";
import { parseForm } from "../validation.js";
import type { BulkEcho, RenderQueue } from "./desk-routes.js";

const SELECT_ONE = "Select at least one ticket in the queue.";
const CHOOSE_ASSIGNEE = "Choose who gets the selected tickets: you, nobody or an agent.";
const CHOOSE_STATUS = "Choose the status to set on the selected tickets.";

/** A repeated field arrives as an array, a single one as a string, none as undefined. */
const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? (v as unknown[]) : [v]);

/** `return_to` is read apart: anything but the queue's own URL comes back to the queue's first page. */
const queueReturn = (value: unknown) => {
  const path = localPath(value);
  return /^\/desk(\?|$)/.test(path) ? path : "/desk";
};

const bulkForm = z
  .object({
    ticket_ids: z.preprocess(
      asList,
      z
        .array(z.string({ error: SELECT_ONE }), { error: SELECT_ONE })
        .min(1, SELECT_ONE)
        .max(BULK_MAX, `Select at most ${BULK_MAX} tickets at once (one page of the queue).`)
        .refine((ids) => ids.every(isRowId), "The selection holds something that is not a ticket number; reload the queue and select again.")
        // A ticket selected twice changes once.
        .transform((ids) => [...new Set(ids.map(Number))]),
    ),
    action: z.enum(["assign", "status"], { error: "Choose what to do with the selected tickets: assign them or set their status." }),
    assignee_id: z.string().optional(),
    status: z.string().optional(),
  })
  .transform((form, ctx): { ticketIds: number[]; change: BulkChange } => {
    if (form.action === "assign") {
      const v = form.assignee_id ?? "";
      if (v === "me" || v === "unassigned" || isRowId(v)) return { ticketIds: form.ticket_ids, change: { action: "assign", assignee: isRowId(v) ? Number(v) : (v as "me" | "unassigned") } };
      ctx.addIssue({ code: "custom", path: ["assignee_id"], message: CHOOSE_ASSIGNEE });
    } else {
      const status = TICKET_STATUSES.find((s) => s === form.status);
      if (status) return { ticketIds: form.ticket_ids, change: { action: "status", status } };
      ctx.addIssue({ code: "custom", path: ["status"], message: CHOOSE_STATUS });
    }
    return z.NEVER;
  });

/** The bulk form's problems under the keys of its fields on the queue page (the filter form has its own `status`). */
const onQueuePage = (problems: Problems): Problems =>
  Object.fromEntries(Object.entries(problems).map(([field, text]) => [field === "status" ? "bulk_status" : field, text]));

const echoOf = (body: Record<string, unknown>, problems: Problems): BulkEcho => ({
  problems: onQueuePage(problems),
  selected: asList(body.ticket_ids).filter((v): v is string => typeof v === "string"),
  values: { assignee_id: typeof body.assignee_id === "string" ? body.assignee_id : "", status: typeof body.status === "string" ? body.status : "" },
});

/**
 * `POST /desk/bulk` (the desk's guard keeps it to staff): the queue's selected rows assigned
 * or moved, one by one, then back to the same view with a summary of what changed and what
 * was refused. Bad input is the queue again, 400, its problem named beside the bulk form,
 * and nothing changed.
 */
export function bulkRoutes(router: Router, deps: TicketDeps, renderQueue: RenderQueue): void {
  router.post("/desk/bulk", async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const back = queueReturn(body.return_to);
    const again = (problems: Problems) => renderQueue(req, res, parseQueryString(back.split("?")[1] ?? ""), echoOf(body, problems));
    const form = parseForm(bulkForm, body);
    if (!form.ok) return again(form.problems);
    const result = await applyBulkChange(deps, actorOf(req), form.data.ticketIds, form.data.change);
    if (!result.ok) return again(result.problems);
    flash(req, result.value.refused.length > 0 ? "info" : "success", bulkSummaryText(result.value));
    res.redirect(303, back);
  });
}
