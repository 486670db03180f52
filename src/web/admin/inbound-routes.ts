import { Router } from "express";
import { z } from "zod";
import { flash } from "../flash.js";
import { requireAdmin } from "../guards.js";
import { rowAtPath } from "../path-ids.js";
import { actorOf } from "../request-meta.js";
import { findInbound, listInbound, type InboundStatus } from "../../platform/mail/inbound/inbound-store.js";
import { decideOnQuarantined, type QuarantineDeps } from "../../platform/mail/inbound/quarantine.js";
import { headerBlockOf } from "../../platform/mail/outbox-store.js";

const PAGE_SIZE = 50;
const STATUSES: readonly InboundStatus[] = ["received", "routed", "quarantined", "auto-replied", "ignored", "bounce", "discarded", "failed"];
const listFilter = z.object({ status: z.enum(STATUSES).optional().catch(undefined) });

/**
 * Mail in, for admins (issue 17 items 4 and 7): what the desk received, how it authenticated and where it
 * went, and the quarantine, whose messages an admin releases (routed as that admin vouches) or discards.
 * Mounted before the outbox's `/admin/mail/:id`.
 */
export function inboundAdminRoutes(deps: QuarantineDeps): Router {
  const router = Router();
  router.use("/admin/mail/inbound", ...requireAdmin);

  router.get("/admin/mail/inbound", async (req, res) => {
    const filter = listFilter.parse(req.query);
    const messages = await listInbound(deps.db, PAGE_SIZE, filter.status);
    res.render("admin/inbound-log", { title: "Inbound mail", filter, messages, statuses: STATUSES });
  });

  const messageOf = (id: string) => rowAtPath(id, (n) => findInbound(deps.db, n), "There is no inbound mail with that number.");

  router.get("/admin/mail/inbound/:id", async (req, res) => {
    const message = await messageOf(req.params.id);
    const headers = headerBlockOf(message.raw.toString("utf8")).replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/);
    res.render("admin/inbound-detail", { title: `Inbound mail #${message.id}`, message, headers });
  });

  for (const decision of ["release", "discard"] as const) {
    router.post(`/admin/mail/inbound/:id/${decision}`, async (req, res) => {
      const message = await messageOf(req.params.id);
      if (await decideOnQuarantined(deps, message, decision, actorOf(req))) {
        flash(req, "success", decision === "release" ? `Inbound mail #${message.id} is released: it is routed within a few seconds, as you vouch for it.` : `Inbound mail #${message.id} is discarded.`);
      } else flash(req, "error", `Inbound mail #${message.id} is ${message.status}, not quarantined: only quarantined mail can be released or discarded.`);
      res.redirect(303, `/admin/mail/inbound/${message.id}`);
    });
  }
  return router;
}
