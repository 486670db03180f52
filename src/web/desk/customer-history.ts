import type { Db } from "../../shared/db.js";
import { changesOfAccount, describeChange, hasOpenChangeObjection, type Account } from "../../accounts/index.js";
import { otherResetRequestsOfAccount, type AccountRequests } from "../../resets/index.js";
import { openTicketsOfAccount, type Ticket } from "../../tickets/index.js";

/** How many of each kind the sidebar lists; the rest are a link away. */
export const HISTORY_LIMIT = 10;

const queueOf = (filter: Record<string, string>) => `/desk?${new URLSearchParams(filter).toString()}`;

/** A change of the account's records, in words, with who made it. */
export interface HistoryChange {
  what: string;
  by: string;
  at: Date;
  objected: boolean;
}

/** The customer's history beside the desk's ticket page: staff only, never on a customer's page. */
export interface CustomerHistory {
  openTickets: Ticket[];
  moreOpenTickets: boolean;
  resets: AccountRequests;
  /** The last {@link HISTORY_LIMIT}; an admin's link leads to every one. */
  changes: HistoryChange[];
  /** The queue filtered by the account, for what the lists leave out: its open tickets, and all its reset tickets. */
  queueLinks: { open: string; resets: string };
  /** The admin account page, for admins only: an agent gets no link to a page that refuses them. */
  adminLink: string | null;
}

/**
 * The account's other open tickets, its other reset requests with their outcomes and its last
 * record changes: at most five queries whatever the lists hold (one for the tickets, three for the
 * requests and their stages, one for the changes), each limited to {@link HISTORY_LIMIT}.
 */
export async function loadCustomerHistory(db: Db, ticket: Ticket, account: Account, viewer: { role: string }, now: Date): Promise<CustomerHistory> {
  const [openTickets, resets, changes] = await Promise.all([
    openTicketsOfAccount(db, account.id, ticket.id, HISTORY_LIMIT + 1),
    otherResetRequestsOfAccount(db, account.id, ticket.id, now, HISTORY_LIMIT),
    changesOfAccount(db, account.id, HISTORY_LIMIT),
  ]);
  return {
    openTickets: openTickets.slice(0, HISTORY_LIMIT),
    moreOpenTickets: openTickets.length > HISTORY_LIMIT,
    resets,
    changes: changes.map((c) => ({ what: describeChange(c), by: c.changedByName ?? "not recorded", at: c.createdAt, objected: hasOpenChangeObjection(c) })),
    queueLinks: { open: queueOf({ account: account.code }), resets: queueOf({ view: "all", type: "primary_reset", account: account.code }) },
    adminLink: viewer.role === "admin" ? `/admin/accounts/${account.id}` : null,
  };
}
