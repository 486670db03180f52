import type { Request, Response, Router } from "express";
import { z } from "zod";
import type { Db } from "../../shared/db.js";
import type { Problems } from "../../shared/problems.js";
import { isRowId } from "../../shared/row-ids.js";
import { BODY_MAX, cannedReplyFor, type Ticket } from "../../tickets/index.js";
import { HttpError } from "../errors.js";
import { actorOf } from "../request-meta.js";
import { deskTicket } from "../ticket-access.js";
import { parseForm } from "../validation.js";

const insertForm = z.object({
  canned_id: z.string({ error: "Choose a canned reply." }).refine(isRowId, "Choose a canned reply."),
  body: z.string().max(BODY_MAX * 2).optional().default(""),
});

const BOX = { reply: "reply_body", note: "note_body" } as const;

/** What was typed, then the canned text after a blank line; the box's limit is checked when it is sent. */
const joined = (typed: string, inserted: string) => (typed.trim() ? `${typed.trimEnd()}\n\n${inserted}` : inserted);

type RenderTicket = (req: Request, res: Response, ticket: Ticket, status?: number, problems?: Problems, values?: Record<string, string>) => Promise<void>;

/**
 * `POST /desk/tickets/:id/canned`, the Insert button of the reply and note boxes (its
 * `name="into"` says which): without JavaScript the page comes back with the canned reply,
 * filled for this ticket, in that box after what was already typed (the button posts the box's
 * form); the desk's script asks for JSON and puts the text at the cursor instead. Nothing is
 * written, so it needs no audit; the desk's guard keeps it to staff.
 */
export function cannedInsertRoute(router: Router, db: Db, renderTicket: RenderTicket): void {
  router.post("/desk/tickets/:id/canned", async (req, res) => {
    const ticket = await deskTicket(db, req.params.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const into = body.into === "reply" || body.into === "note" ? body.into : null;
    if (!into) throw new HttpError(400, "Insert a canned reply with the Insert button of the reply or the note box.");
    const field = `${into}_canned`;
    const typed = typeof body.body === "string" ? body.body : "";
    const wantsJson = req.accepts(["html", "json"]) === "json";
    const refuse = (problem: string) =>
      wantsJson ? void res.status(400).json({ problem }) : renderTicket(req, res, ticket, 400, { [field]: problem }, { [BOX[into]]: typed });

    const form = parseForm(insertForm, body);
    if (!form.ok) return refuse(Object.values(form.problems)[0]!);
    if (into === "reply" && ticket.status === "closed") return refuse("This ticket is closed and takes no more replies.");
    const filled = await cannedReplyFor(db, Number(form.data.canned_id), ticket, actorOf(req), field);
    if (!filled.ok) return refuse(filled.problems[field]!);
    if (wantsJson) return void res.json({ text: filled.value });
    await renderTicket(req, res, ticket, 200, {}, { [BOX[into]]: joined(form.data.body, filled.value), [field]: form.data.canned_id });
  });
}
