// Canned replies: the answers admins write once for agents to insert into a reply or a note.
// A placeholder is one of a closed list, each filled from what the ticket page already shows
// its agent (number, subject, requester's and account's names, the agent's own name), so no
// canned reply can carry a password, token, passphrase, factor secret, a contact's number or
// address, or anything else the agent inserting it could not see.
import type { Knex } from "knex";
import { findAccount } from "../accounts/index.js";
import { findLoginSummary } from "../identity/index.js";
import { appendAudit } from "../platform/audit/audit-log.js";
import { auditedBy, type Actor } from "../shared/actor.js";
import type { Clock } from "../shared/clock.js";
import type { Db } from "../shared/db.js";
import { done, NOT_THERE, refused, Refusal, refusedAt, type Refused, type Result } from "../shared/problems.js";
import { cannedTitleTaken, deleteCannedReplyRow, findCannedReply, insertCannedReply, updateCannedReplyRow, type CannedReply } from "./canned-replies-store.js";
import type { Ticket } from "./tickets-store.js";

export interface CannedDeps {
  db: Db;
  clock: Clock;
}

export interface CannedInput {
  title: string;
  body: string;
}

/** What a placeholder may be filled with: the ticket page's own facts, never a record or a secret. */
interface TicketFacts {
  ticket: Ticket;
  requesterName: string;
  accountName: string;
  accountCode: string;
  agentName: string;
}

/** The placeholders, with what each becomes (the admin's form lists them). */
export const PLACEHOLDERS = {
  ticket_number: { means: "the ticket's number, like #12", fill: (f: TicketFacts) => `#${f.ticket.id}` },
  ticket_subject: { means: "the ticket's subject", fill: (f: TicketFacts) => f.ticket.subject },
  requester_name: { means: "the name of the login that opened the ticket", fill: (f: TicketFacts) => f.requesterName },
  account_name: { means: "the customer account's name", fill: (f: TicketFacts) => f.accountName },
  account_code: { means: "the customer account's code, like ACM", fill: (f: TicketFacts) => f.accountCode },
  agent_name: { means: "the name of the agent inserting the reply", fill: (f: TicketFacts) => f.agentName },
} as const satisfies Record<string, { means: string; fill: (f: TicketFacts) => string }>;
type Placeholder = keyof typeof PLACEHOLDERS;

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const isPlaceholder = (name: string): name is Placeholder => Object.hasOwn(PLACEHOLDERS, name);
const DUPLICATE = "A canned reply with this title exists already: choose another title.";

/** Why a body's placeholders cannot be filled: an unknown name, or braces that open no placeholder. */
export function placeholderProblem(body: string): string | null {
  const unknown = [...body.matchAll(PLACEHOLDER)].map((m) => m[1]!.trim()).filter((name) => !isPlaceholder(name));
  if (unknown.length) return `Unknown placeholder ${[...new Set(unknown)].map((n) => `{{${n}}}`).join(", ")}: use only those listed.`;
  if (/\{\{|\}\}/.test(body.replace(PLACEHOLDER, ""))) return "A “{{” or “}}” here opens or closes no placeholder: write placeholders as {{name}}.";
  return null;
}

/** The body with each placeholder filled for this ticket (`{{ name }}` with spaces too). */
const fill = (body: string, facts: TicketFacts) => body.replace(PLACEHOLDER, (_, name: string) => PLACEHOLDERS[name.trim() as Placeholder].fill(facts));

/** The checks of a canned reply before it is written (the form has checked lengths): its title is free, its placeholders known. */
async function problemOf(db: Db | Knex.Transaction, input: CannedInput, id: number | null): Promise<Refused | null> {
  if (await cannedTitleTaken(db, input.title, id)) return refusedAt("title", DUPLICATE);
  const problem = placeholderProblem(input.body);
  return problem ? refusedAt("body", problem) : null;
}

/**
 * Writes in one transaction with its audit entry. Two admins saving one title at once: the
 * unique index refuses the second, which is then told so rather than shown a 500.
 */
async function written<T>(deps: CannedDeps, input: CannedInput, id: number | null, write: (trx: Knex.Transaction, now: Date) => Promise<T>): Promise<Result<T>> {
  const now = deps.clock.now();
  try {
    return await deps.db.transaction(async (trx) => (await problemOf(trx, input, id)) ?? done(await write(trx, now)));
  } catch (error) {
    if (await cannedTitleTaken(deps.db, input.title, id)) return refused({ title: DUPLICATE });
    throw error;
  }
}

/** A new canned reply; its value is the new id. */
export async function createCannedReply(deps: CannedDeps, input: CannedInput, actor: Actor): Promise<Result<number>> {
  return written(deps, input, null, async (trx, now) => {
    const id = await insertCannedReply(trx, input, actor.id, now);
    await appendAudit(trx, { ...auditedBy(actor), action: "canned_reply.created", subject: `canned_reply:${id}`, details: { title: input.title } }, now);
    return id;
  });
}

export async function updateCannedReply(deps: CannedDeps, reply: CannedReply, input: CannedInput, actor: Actor): Promise<Result> {
  const result = await written(deps, input, reply.id, async (trx, now) => {
    await updateCannedReplyRow(trx, reply.id, input, actor.id, now);
    const details = { before: { title: reply.title, body: reply.body }, after: input };
    await appendAudit(trx, { ...auditedBy(actor), action: "canned_reply.updated", subject: `canned_reply:${reply.id}`, details }, now);
  });
  return result.ok ? done() : result;
}

export async function deleteCannedReply(deps: CannedDeps, reply: CannedReply, actor: Actor): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    await deleteCannedReplyRow(trx, reply.id);
    await appendAudit(trx, { ...auditedBy(actor), action: "canned_reply.deleted", subject: `canned_reply:${reply.id}`, details: { title: reply.title, body: reply.body } }, now);
  });
}

/**
 * A canned reply filled for this ticket and the agent inserting it, or refused at `field` when
 * it is gone (deleted since the page was drawn). Only staff reach it: the desk's guard.
 */
export async function cannedReplyFor(db: Db, cannedId: number, ticket: Ticket, agent: Actor, field: string): Promise<Result<string>> {
  const [reply, requester, account] = await Promise.all([findCannedReply(db, cannedId), findLoginSummary(db, ticket.requesterId), findAccount(db, ticket.accountId)]);
  if (!reply) return refusedAt(field, "That canned reply was deleted: choose another.");
  if (!requester || !account) throw new Refusal("missing", NOT_THERE);
  return done(fill(reply.body, { ticket, requesterName: requester.displayName, accountName: account.name, accountCode: account.code, agentName: agent.displayName }));
}
