import { formatInZone } from "../shared/formatting.js";
import { hours } from "../shared/clock.js";
import type { MailingDeps } from "../platform/mail/mailer.js";
import { lockRequest, recordStep } from "./request-moves.js";
import { findDeliveriesExpiringBy, markExpiryNoticed } from "./reset-store.js";
import { assigneeAndAdminsOf, queueStaffNotice } from "./staff-notices.js";

/** How long before its expiry an unused temporary password is told to the assignee and the admins. */
export const EXPIRY_NOTICE_BEFORE_MS = hours(2);

/**
 * The scheduled job: each delivered temporary password that runs out within two hours unused
 * is told, once, to the ticket's assignee and every active admin (someone may still reach the
 * holder), with an internal entry on the ticket naming who was told. Returns how many.
 */
export async function noticeExpiringTemporaryPasswords(deps: MailingDeps): Promise<number> {
  const now = deps.clock.now();
  let told = 0;
  for (const found of await findDeliveriesExpiringBy(deps.db, now, new Date(now.getTime() + EXPIRY_NOTICE_BEFORE_MS))) {
    const sent = await deps.db.transaction(async (trx) => {
      const locked = await lockRequest(trx, found.ticketId);
      // Locked like every reset step: redeemed, withdrawn or told by another run meanwhile is nothing to do.
      if (!locked || !(await markExpiryNoticed(trx, locked.request.id, now))) return false;
      const request = locked.request;
      const expiresAt = formatInZone(request.tempExpiresAt!, deps.mailer.timeZone);
      const people = await assigneeAndAdminsOf(trx, locked.ticket);
      await queueStaffNotice(deps, trx, request, people, { template: "reset-expiring-notice", subject: `[#${request.ticketId}] Temporary password expires unused at ${expiresAt}`, extra: { expiresAt } }, now);
      const names = people.map((p) => p.username);
      await recordStep(trx, request.ticketId, {
        kind: "system",
        by: null,
        action: "reset.expiry_noticed",
        publicText: null,
        internalText: `The temporary password has not been used and expires at ${expiresAt}. Told: ${names.join(", ") || "nobody (no assignee or admin with an address)"}.`,
        details: { expiresAt: request.tempExpiresAt!.toISOString(), told: names },
      }, now);
      return true;
    });
    if (sent) told += 1;
  }
  return told;
}
