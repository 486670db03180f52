import { Router } from "express";
import { z } from "zod";
import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import { flash } from "../flash.js";
import { requireAgent } from "../guards.js";
import { parseForm } from "../validation.js";
import { wantsNewTicketMail } from "../../identity/index.js";
import { setNewTicketNotice } from "../../tickets/index.js";

// A checkbox: "1" when ticked, absent when not; anything else is a tampered form.
const noticeForm = z.object({ new_tickets: z.literal("1", { error: "Tick the box or leave it empty." }).optional() });

/** `GET/POST /account/notifications`: an agent or admin chooses whether new tickets are mailed to them. */
export function noticeRoutes(deps: { db: Db; clock: Clock }): Router {
  const router = Router();
  router.use("/account/notifications", ...requireAgent);

  router.get("/account/notifications", async (req, res) => {
    res.render("account/notifications", { title: "Notifications", newTickets: await wantsNewTicketMail(deps.db, req.user!.id), problems: {} });
  });

  router.post("/account/notifications", async (req, res) => {
    const form = parseForm(noticeForm, req.body);
    if (!form.ok) return res.status(400).render("account/notifications", { title: "Notifications", newTickets: await wantsNewTicketMail(deps.db, req.user!.id), problems: form.problems });
    const on = form.data.new_tickets === "1";
    await setNewTicketNotice(deps.db, req.user!.id, on, deps.clock.now());
    flash(req, "success", on ? "New tickets will be mailed to you." : "New tickets will no longer be mailed to you.");
    res.redirect(303, "/account/notifications");
  });

  return router;
}
