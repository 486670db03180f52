import type { Request, Response } from "express";
import type { Clock } from "../../shared/clock.js";
import type { Db } from "../../shared/db.js";
import type { Mailer } from "../../platform/mail/mailer.js";
import { findAccount } from "../../accounts/index.js";
import { findLoginSummary, listActiveStaff } from "../../identity/index.js";
import { loadResetPanel, type Verification } from "../../resets/index.js";
import type { Problems } from "../../shared/problems.js";
import { ticketView } from "../ticket-view.js";
import { listCannedReplies, loadSlaTargets, type Ticket } from "../../tickets/index.js";
import { timelineFor } from "../ticket-timeline.js";
import { slaView } from "../sla-view.js";
import { loadCustomerHistory } from "./customer-history.js";

export interface DeskTicketPageDeps {
  db: Db;
  clock: Clock;
  mailer: Mailer;
  resetTwoPerson: boolean;
  keylessDelivery: boolean;
}

/**
 * The desk's ticket page: a page of the timeline (the newest, or the one `?before=` asks for), every form, the reset panel on a reset ticket,
 * and beside them the ticket's facts and the customer's history (customer-history.ts). A refused action renders it again with its problems next to the form that caused them;
 * a refused approval brings the verification it found, which the reset panel shows as it is.
 */
export async function renderDeskTicket(
  deps: DeskTicketPageDeps,
  req: Request,
  res: Response,
  ticket: Ticket,
  status = 200,
  problems: Problems = {},
  values: Record<string, string> = {},
  verification?: Verification,
): Promise<void> {
  const base = `/desk/tickets/${ticket.id}`;
  const [{ timeline, problems: timelineProblems }, account, requester, assignee, staff, resetPanel, targets, cannedReplies] = await Promise.all([
    timelineFor(deps.db, req, ticket.id, "all", base),
    findAccount(deps.db, ticket.accountId),
    findLoginSummary(deps.db, ticket.requesterId),
    ticket.assigneeId === null ? null : findLoginSummary(deps.db, ticket.assigneeId),
    listActiveStaff(deps.db),
    loadResetPanel(deps, ticket, req.user!, verification),
    loadSlaTargets(deps.db),
    listCannedReplies(deps.db),
  ]);
  // A ticket always has an account (customers open them); the history needs it first.
  const history = account && (await loadCustomerHistory(deps.db, ticket, account, req.user!, deps.clock.now()));
  // A broken timeline link is the page's problem too, beside any of a refused form.
  const broken = Object.keys(timelineProblems).length > 0;
  res.status(broken ? 400 : status).render("desk/ticket", {
    title: `#${ticket.id} ${ticket.subject}`,
    ticket,
    timeline,
    files: { list: timeline.files, base: `${base}/attachments` },
    account,
    requester,
    assignee,
    staff,
    resetPanel,
    history,
    cannedReplies,
    problems: { ...problems, ...timelineProblems },
    values,
    tv: ticketView(deps.clock.now()),
    sla: slaView(deps.clock.now(), targets),
  });
}
