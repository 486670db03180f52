import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import type { Problems } from "../../shared/problems.js";
import { BODY_MAX, createCannedReply, deleteCannedReply, findCannedReply, listCannedReplies, PLACEHOLDERS, updateCannedReply, type CannedReply } from "../../tickets/index.js";
import { flash } from "../flash.js";
import { requireAdmin } from "../guards.js";
import { rowAtPath } from "../path-ids.js";
import { actorOf } from "../request-meta.js";
import { parseForm } from "../validation.js";
import { checkboxField } from "../login-form.js";

const TITLE_MAX = 120;

const cannedForm = z.object({
  title: z.string({ error: "Enter a title." }).trim().min(1, "Enter a title.").max(TITLE_MAX, `Titles are at most ${TITLE_MAX} characters.`),
  body: z.string({ error: "Write the reply's text." }).trim().min(1, "Write the reply's text.").max(BODY_MAX, `Keep the text to ${BODY_MAX.toLocaleString("en")} characters or fewer.`),
});

/** Deleting takes a ticked box: a confirmation that needs no script. */
const deleteForm = z.object({ confirm: checkboxField.refine((v) => v, "Tick the box to confirm: the canned reply is deleted for every agent.") });

const placeholders = Object.entries(PLACEHOLDERS).map(([name, p]) => ({ name, means: p.means }));
const LIST = "/admin/canned-replies";

/** `/admin/canned-replies[/:id]`: admins keep the canned replies agents insert on the ticket page. */
export function cannedReplyRoutes(deps: { db: Db; clock: Clock }): Router {
  const router = Router();
  router.use(LIST, ...requireAdmin);

  const replyOf = (req: Request): Promise<CannedReply> => rowAtPath(req.params.id as string | undefined, (id) => findCannedReply(deps.db, id), "There is no such canned reply.");
  const valuesOf = (req: Request) => req.body as Record<string, unknown>;

  const renderList = async (res: Response, status = 200, problems: Problems = {}, values: Record<string, unknown> = {}) =>
    res.status(status).render("admin/canned-replies", { title: "Canned replies", replies: await listCannedReplies(deps.db), placeholders, problems, values });

  /** The edit page; `failed` names the form (edit or delete) the problems belong to. */
  const renderEdit = (res: Response, reply: CannedReply, status = 200, failed: { form?: "edit" | "delete"; problems?: Problems; values?: Record<string, unknown> } = {}) =>
    res.status(status).render("admin/canned-replies-edit", {
      title: `Canned reply ${reply.title}`,
      reply,
      placeholders,
      failedForm: failed.form ?? null,
      problems: failed.problems ?? {},
      values: failed.values ?? { title: reply.title, body: reply.body },
    });

  router.get(LIST, async (_req, res) => renderList(res));

  router.post(LIST, async (req, res) => {
    const form = parseForm(cannedForm, req.body);
    if (!form.ok) return renderList(res, 400, form.problems, valuesOf(req));
    const result = await createCannedReply(deps, form.data, actorOf(req));
    if (!result.ok) return renderList(res, 400, result.problems, valuesOf(req));
    flash(req, "success", `Canned reply “${form.data.title}” added.`);
    res.redirect(303, LIST);
  });

  router.get(`${LIST}/:id`, async (req, res) => renderEdit(res, await replyOf(req)));

  router.post(`${LIST}/:id`, async (req, res) => {
    const reply = await replyOf(req);
    const form = parseForm(cannedForm, req.body);
    if (!form.ok) return renderEdit(res, reply, 400, { form: "edit", problems: form.problems, values: valuesOf(req) });
    const result = await updateCannedReply(deps, reply, form.data, actorOf(req));
    if (!result.ok) return renderEdit(res, reply, 400, { form: "edit", problems: result.problems, values: valuesOf(req) });
    flash(req, "success", `Canned reply “${form.data.title}” saved.`);
    res.redirect(303, LIST);
  });

  router.post(`${LIST}/:id/delete`, async (req, res) => {
    const reply = await replyOf(req);
    const form = parseForm(deleteForm, req.body);
    if (!form.ok) return renderEdit(res, reply, 400, { form: "delete", problems: form.problems });
    await deleteCannedReply(deps, reply, actorOf(req));
    flash(req, "success", `Canned reply “${reply.title}” deleted.`);
    res.redirect(303, LIST);
  });

  return router;
}
