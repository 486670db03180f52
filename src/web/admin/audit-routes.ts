import { Router } from "express";
import { z } from "zod";
import type { Db } from "../../shared/db.js";
import { flash } from "../flash.js";
import { requireAdmin } from "../guards.js";
import { actorOf } from "../request-meta.js";
import { MAX_ROW_ID } from "../../shared/row-ids.js";
import type { Clock } from "../../shared/clock.js";
import { checkAuditChain } from "../../platform/audit/audit-log.js";
import { listAudit } from "../../platform/audit/audit-store.js";
import { auditActionLabel, displayAddress } from "./audit-words.js";

const PAGE_SIZE = 50;

const optionalText = (max: number, pattern: RegExp, problem: string) =>
  z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), z.string({ error: problem }).trim().max(max, problem).regex(pattern, problem).optional());

const DAY_MS = 86_400_000;
/** A day as a date field sends it (YYYY-MM-DD, a real calendar day): its first moment, UTC. */
const optionalDay = z.preprocess(
  (v) => (v === "" ? undefined : v),
  z
    .string({ error: "Enter a date like 2026-12-01." })
    .regex(/^\d{4}-\d{2}-\d{2}$/, "Enter a date like 2026-12-01.")
    .transform((day, ctx) => {
      const at = new Date(`${day}T00:00:00Z`);
      if (Number.isNaN(at.getTime()) || at.toISOString().slice(0, 10) !== day) {
        ctx.addIssue({ code: "custom", message: "There is no such day; enter a date like 2026-12-01." });
        return z.NEVER;
      }
      return at;
    })
    .optional(),
);

/** The log's query string: each value checked, a bad one is a 400 that names it. */
const auditQuery = z.object({
  action: optionalText(64, /^[a-z_]+(\.[a-z_]+)*\.?$/, "An action looks like reset.approved, or a family like reset."),
  actor: optionalText(64, /^\S+$/, "Enter one username."),
  subject: optionalText(200, /^[a-z_]+:[A-Za-z0-9_.@-]+$/, "A subject looks like ticket:12, user:5 or task:deliver-mail."),
  before: z.preprocess((v) => (v === "" ? undefined : v), z.coerce.number({ error: "This page link is broken; start again from the newest." }).int().min(1).max(MAX_ROW_ID).optional()),
  from: optionalDay,
  to: optionalDay,
}).refine((q) => !q.from || !q.to || q.from <= q.to, { path: ["to"], message: "The last day is before the first; swap them." });

/** `GET /admin/audit` (browse and filter the chained log) and `POST /admin/audit/verify` (check the whole chain now). */
export function auditAdminRoutes(deps: { db: Db; clock: Clock }): Router {
  const router = Router();
  router.use("/admin/audit", ...requireAdmin);

  router.get("/admin/audit", async (req, res) => {
    const parsed = auditQuery.safeParse(req.query);
    if (!parsed.success) {
      const problems = Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message]));
      return res.status(400).render("admin/audit", { title: "Audit log", filter: {}, values: req.query, problems, entries: [], nextBefore: null, auditActionLabel, displayAddress });
    }
    const { from, to, ...rest } = parsed.data;
    // "to" is a whole day: entries before the start of the day after it.
    const page = await listAudit(deps.db, { ...rest, from, until: to && new Date(to.getTime() + DAY_MS) }, PAGE_SIZE);
    const days = { from: (req.query.from as string | undefined) ?? "", to: (req.query.to as string | undefined) ?? "" };
    res.render("admin/audit", { title: "Audit log", filter: { ...rest, ...days }, values: { ...rest, ...days }, problems: {}, ...page, auditActionLabel, displayAddress });
  });

  router.post("/admin/audit/verify", async (req, res) => {
    const check = await checkAuditChain(deps, actorOf(req));
    if (check.ok) flash(req, "success", `The chain holds: all ${check.rows.toLocaleString("en")} entries verify, each following the one before.`);
    else flash(req, "error", `The chain is broken at entry ${check.badSeq}: ${check.problem}. Entries before it (${check.rows.toLocaleString("en")}) verify.`);
    res.redirect(303, "/admin/audit");
  });

  return router;
}
