import { RECENT_CHANGE_MS, recordChangesOfAccountsSince } from "../accounts/index.js";
import type { Knex } from "knex";
import type { Db } from "../shared/db.js";
import { callbacksOfRequests, requestsOfTickets, type RequestWithMail, type ResetRequest } from "./reset-store.js";
import { approverCountsOf } from "./approvers-store.js";
import { deliveryStatusOf, stageInputOf, stageOf, stageWords, type ResetStage } from "./stage.js";
import { isRecentFor } from "./verification.js";
import { OPEN_RESET_STATES } from "./vocabulary.js";

// What the desk's queue reads of the resets domain: the tickets of its views and the stage of its rows.

/** The tickets of requests in progress (pending or delivered), as a subquery for the queue's "Resets in progress" view. */
export const resetTicketsInProgress = (db: Db): Knex.QueryBuilder => db("reset_requests").select("ticket_id").whereIn("state", OPEN_RESET_STATES);

/** A queue row's reset stage and its words. */
export interface RowStage {
  stage: ResetStage;
  words: string;
}

/**
 * The stage of each reset ticket among a page of queue rows, in four queries whatever the
 * page holds (the requests with their mail, and those of stagesOfRequests), never one per row;
 * none when the page has no reset ticket.
 */
export async function resetStagesOfRows(db: Db, rows: readonly { id: number; type: string }[], now: Date): Promise<Map<number, RowStage>> {
  const requests = await requestsOfTickets(db, rows.filter((r) => r.type === "primary_reset").map((r) => r.id));
  const stages = new Map<number, RowStage>();
  for (const [request, stage] of await stagesOfRequests(db, requests, now)) stages.set(request.ticketId, stage);
  return stages;
}

/** The stage of each of these requests, in three queries whatever their number (their callbacks, their accounts' recent changes, how many may approve each); none for no request. */
export async function stagesOfRequests(db: Db, requests: readonly RequestWithMail[], now: Date): Promise<[ResetRequest, RowStage][]> {
  if (requests.length === 0) return [];
  const callbacks = await callbacksOfRequests(db, requests.map((r) => r.request.id));
  const changes = await recordChangesOfAccountsSince(db, [...new Set(requests.map((r) => r.request.accountId))], new Date(now.getTime() - RECENT_CHANGE_MS));
  const approvers = await approverCountsOf(db, requests.map((r) => r.request.id));
  return requests.map(({ request, mail }) => {
    const recent = changes.filter((c) => c.accountId === request.accountId).filter(isRecentFor(request, now));
    const input = stageInputOf(request, callbacks.get(request.id) ?? [], recent, mail && deliveryStatusOf(mail), approvers.has(request.id));
    const stage = stageOf(input);
    return [request, { stage, words: stageWords(stage, input, now) }];
  });
}
