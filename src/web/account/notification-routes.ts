import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import type { Problems } from "../../shared/problems.js";
import { flash } from "../flash.js";
import { requireAgent } from "../guards.js";
import { parseForm } from "../validation.js";
import { wantsNotice } from "../../identity/index.js";
import { setApprovalNotice } from "../../resets/index.js";
import { setNewTicketNotice } from "../../tickets/index.js";

// A checkbox: "1" when ticked, absent when not; anything else is a tampered form.
const box = z.literal("1", { error: "Tick the box or leave it empty." }).optional();
const noticeForm = z.object({ new_tickets: box, awaiting_approval: box });

/** `GET/POST /account/notifications`: an agent or admin chooses what the desk mails them: each new ticket, requests that await their approval. */
export function noticeRoutes(deps: { db: Db; clock: Clock }): Router {
  const router = Router();
  router.use("/account/notifications", ...requireAgent);

  const render = async (req: Request, res: Response, status: number, problems: Problems) =>
    res.status(status).render("account/notifications", {
      title: "Notifications",
      newTickets: await wantsNotice(deps.db, req.user!.id, "new_tickets"),
      awaitingApproval: await wantsNotice(deps.db, req.user!.id, "awaiting_approval"),
      problems,
    });

  router.get("/account/notifications", (req, res) => render(req, res, 200, {}));

  router.post("/account/notifications", async (req, res) => {
    const form = parseForm(noticeForm, req.body);
    if (!form.ok) return render(req, res, 400, form.problems);
    const newTickets = form.data.new_tickets === "1";
    const awaiting = form.data.awaiting_approval === "1";
    const now = deps.clock.now();
    await setNewTicketNotice(deps.db, req.user!.id, newTickets, now);
    await setApprovalNotice(deps.db, req.user!.id, awaiting, now);
    const on = [newTickets && "each new ticket", awaiting && "each reset request that awaits your approval"].filter(Boolean);
    flash(req, "success", on.length ? `Saved. The desk will mail you about ${on.join(" and ")}.` : "Saved. The desk will mail you about neither new tickets nor requests awaiting your approval.");
    res.redirect(303, "/account/notifications");
  });

  return router;
}
