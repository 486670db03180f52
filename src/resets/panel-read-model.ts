import type { Db } from "../shared/db.js";
import type { Actor } from "../shared/actor.js";
import { findMail } from "../platform/mail/outbox-store.js";
import type { Ticket } from "../tickets/index.js";
import { findRequestByTicket, type Callback, type ResetRequest } from "./reset-store.js";
import { deliveryStatusOf, stageInputOf, stageOf, stageWords, type ResetStage } from "./stage.js";
import { approverCountsOf, isStoredApprover } from "./approvers-store.js";
import { handOff } from "./handoff.js";
import { lockRequest } from "./request-moves.js";
import type { Mailer } from "../platform/mail/mailer.js";
import type { DeliveryPlan } from "./delivery-plan.js";
import { blocksApproval, changeLine, verifyFor, type Condition, type Verification, type VerificationFacts } from "./verification.js";
import { DELIVERY_LABELS, objectionStanding, RESET_STATE_LABELS, type DeliveryStatus, type ObjectionStanding } from "./vocabulary.js";
import type { Clock } from "../shared/clock.js";

// The reset panel's read model: what the desk's ticket page shows of a primary reset request.

/** The temporary password's mail as the panel shows it, while the request is delivered. */
export interface DeliveryView {
  status: DeliveryStatus;
  outboxId: number;
  recipient: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date | null;
  sentAt: Date | null;
}

/** What the desk's ticket page shows of a primary reset request. */
export interface ResetPanel extends VerificationFacts {
  stateLabel: string;
  /** Where the request stands, as the queue shows it too (stage.ts). */
  stage: ResetStage;
  stageWords: string;
  /** Which delivery approval would use now (pending), in words. */
  plan: DeliveryPlan;
  /** The callback a delivery passphrase was read on, if one was (said on the page, never the passphrase). */
  passphraseCallback: Callback | null;
  keylessDelivery: boolean;
  delivery: DeliveryView | null;
  objection: ObjectionStanding;
  conditions: Condition[];
  /** The recent changes to the records, in words. */
  changeLines: string[];
  canApprove: boolean;
  /** When this viewer cannot approve: why, in words, one line per blocking condition (the approve area shows these instead of a button). */
  waitingFor: string[];
  viewerIsAdmin: boolean;
}

export interface PanelDeps {
  db: Db;
  clock: Clock;
  mailer: Mailer;
  resetTwoPerson: boolean;
  keylessDelivery: boolean;
}

/**
 * The verification panel for a `primary_reset` ticket, as this agent would approve it; null
 * for any other ticket. `known` is what a refused approval of this agent found a moment ago:
 * the panel shows that, rather than gathering the same facts again.
 */
export async function loadResetPanel(deps: PanelDeps, ticket: Ticket, viewer: Pick<Actor, "id" | "role">, known?: Verification): Promise<ResetPanel | null> {
  if (ticket.type !== "primary_reset") return null;
  const request = known?.facts.request ?? (await findRequestByTicket(deps.db, ticket.id));
  if (!request) return null;
  const verification = known ?? (await verifyFor(deps.db, request, viewer, { twoPerson: deps.resetTwoPerson, keylessDelivery: deps.keylessDelivery }, deps.clock.now()));
  const { facts, conditions } = verification;
  await reconcileApprovers(deps, request, viewer, !conditions.some(blocksApproval));
  const mail = request.state === "delivered" && request.outboxId !== null ? await findMail(deps.db, request.outboxId) : null;
  const delivery: DeliveryView | null = mail && {
    status: deliveryStatusOf(mail),
    outboxId: mail.id,
    recipient: mail.recipient,
    attempts: mail.attempts,
    lastError: mail.lastError,
    nextAttemptAt: mail.nextAttemptAt,
    sentAt: mail.sentAt,
  };
  const anyApprover = (await approverCountsOf(deps.db, [request.id])).has(request.id);
  const stageInput = stageInputOf(request, facts.callbacks, facts.recentChanges, delivery?.status ?? null, anyApprover);
  const stage = stageOf(stageInput);
  return {
    ...facts,
    stage,
    stageWords: stageWords(stage, stageInput, deps.clock.now()),
    stateLabel: delivery ? DELIVERY_LABELS[delivery.status] : RESET_STATE_LABELS[request.state],
    plan: verification.delivery,
    passphraseCallback: facts.callbacks.find((c) => c.id === request.passphraseCallbackId) ?? null,
    keylessDelivery: deps.keylessDelivery,
    delivery,
    objection: objectionStanding(request),
    conditions,
    changeLines: facts.recentChanges.map(changeLine),
    canApprove: !conditions.some(blocksApproval),
    waitingFor: [...new Set(conditions.filter(blocksApproval).map((c) => c.waitsFor ?? `Not met: ${c.label.charAt(0).toLowerCase()}${c.label.slice(1)}. ${c.detail}`))],
    viewerIsAdmin: viewer.role === "admin",
  };
}

/**
 * A change of the records (accounts/, below resets) or of a staff login, or the recent-change
 * window passing, can change who may approve without a resets write. The page has just
 * evaluated the checklist for its viewer: when that disagrees with the stored approvers, they
 * are refreshed (and whoever is added told) in a transaction of its own. Nothing is written
 * when they agree, so a page view costs one indexed read.
 */
async function reconcileApprovers(deps: PanelDeps, request: ResetRequest, viewer: Pick<Actor, "id">, mayApprove: boolean): Promise<void> {
  if (request.state !== "pending" || mayApprove === (await isStoredApprover(deps.db, request.id, viewer.id))) return;
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    const locked = await lockRequest(trx, request.ticketId);
    if (locked) await handOff({ ...deps, twoPerson: deps.resetTwoPerson }, trx, locked.request, now);
  });
}
