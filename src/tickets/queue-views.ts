import type { Knex } from "knex";
import type { Actor } from "../shared/actor.js";
import type { ViewScope } from "./queue-store.js";

// The desk's named views (DESIGN §5 `GET /desk?view=`): each is a scope the store applies beside
// the filter form's, so a view combines with every filter and keeps the keyset order. A new
// view is one name, one label and one scope below.

export const QUEUE_VIEWS = ["open", "awaiting-my-approval", "resets", "mine", "unassigned", "due", "all"] as const;
export type QueueView = (typeof QUEUE_VIEWS)[number];

/** The queue opens on Open work, for `GET /desk` and the staff's `GET /`. */
export const DEFAULT_VIEW: QueueView = "open";

export const VIEW_LABELS: Record<QueueView, string> = {
  open: "Open work",
  "awaiting-my-approval": "Awaiting my approval",
  resets: "Resets in progress",
  mine: "Mine",
  unassigned: "Unassigned",
  due: "By due time",
  all: "All",
};

/**
 * The ticket ids of views whose tickets another domain knows (the resets in progress): the
 * caller hands in a subquery builder, called only when its view is asked for.
 */
export interface ViewSubqueries {
  resetsInProgress: () => Knex.QueryBuilder;
  /** The tickets whose pending request this login may approve now (resets/ stores who may). */
  awaitingApprovalBy: (viewerId: number) => Knex.QueryBuilder;
}

/** What each view asks of the store, for this viewer. */
const SCOPES: Record<QueueView, (viewer: Pick<Actor, "id">, ids: ViewSubqueries) => ViewScope> = {
  open: () => ({ notClosed: true }),
  "awaiting-my-approval": (viewer, ids) => ({ notClosed: true, idsIn: ids.awaitingApprovalBy(viewer.id) }),
  resets: (_, ids) => ({ notClosed: true, type: "primary_reset", idsIn: ids.resetsInProgress() }),
  mine: (viewer) => ({ notClosed: true, assigneeId: viewer.id }),
  unassigned: () => ({ notClosed: true, assigneeId: null }),
  // Soonest due first: the store orders by (due_at, id) when the service asks for the due order.
  due: () => ({ notClosed: true }),
  all: () => ({}),
};

export const viewScope = (view: QueueView, viewer: Pick<Actor, "id">, ids: ViewSubqueries): ViewScope => SCOPES[view](viewer, ids);
