/**
 * Shared set-up of the tickets tests: a second account beside the demo data (BET: primary
 * BET0001, secondary erin), and tickets opened through the real forms or, for bulk, straight
 * through the service. Signed-in browsers come from test/support/sign-in.ts.
 */
import { expect } from "chai";
import { createAccount, createLogin } from "../../src/accounts/index.js";
import { processInbound } from "../../src/platform/mail/inbound/pipeline.js";
import { createLogger } from "../../src/shared/logger.js";
import { routeInboundMail } from "../../src/tickets/index.js";
import { addCustomerReply, addNote, createTicket } from "../../src/tickets/ticket-service.js";
import { fixedResolver } from "../platform/mail/inbound/helpers.js";
import type { Agent } from "../support/http.js";
import type { TestApp } from "../support/test-app.js";
import { browsers } from "../support/sign-in.js";
import type { TestAppHolder } from "../support/use-test-app.js";
import { postForm } from "../support/forms.js";
import { count, type Row } from "../support/rows.js";
import { actorFor, userRow } from "../support/users.js";

/** Adds account BET with its primary BET0001 and a secondary erin, both able to sign in with DEMO_PASSWORD. */
export async function addBetaAccount(t: TestApp): Promise<{ accountId: number }> {
  const admin = await actorFor(t, "admin");
  const deps = { db: t.db, clock: t.clock, mailer: t.mailer };
  const account = await createAccount(deps, { code: "BET", name: "Beta Ltd" }, admin);
  if (!account.ok) throw new Error(JSON.stringify(account.problems));
  const ids: number[] = [];
  for (const [username, role] of [["BET0001", "primary"], ["erin", "secondary"]] as const) {
    const made = await createLogin(deps, { accountId: account.value, role, username, displayName: `Beta ${username}`, email: `${username.toLowerCase()}@beta.example`, canOpenCases: false }, admin);
    if (!made.ok) throw new Error(JSON.stringify(made.problems));
    ids.push(made.value);
  }
  const hash = (await userRow(t, "carol")).password_hash;
  await t.db("users").whereIn("id", ids).update({ password_hash: hash });
  // The set-password mails of the new logins are not what these tests look at.
  await t.db("outbox").del();
  return { accountId: account.value };
}

/** Posts a form that must succeed (303), with the CSRF token read from `csrfPage`. */
export async function act(agent: Agent, path: string, form: Record<string, string>, csrfPage: string) {
  const res = await postForm(agent, path, form, csrfPage);
  expect(res.status, `${path}: ${res.text.slice(0, 1500)}`).to.equal(303);
  return res;
}

/** Opens a ticket through the portal form; returns its number. */
export async function openTicket(agent: Agent, form: Partial<Record<"type" | "subject" | "body", string>> = {}): Promise<number> {
  const res = await postForm(agent, "/tickets", { type: "technical", subject: "The printer is on fire", body: "Smoke everywhere.", ...form }, "/tickets/new");
  expect(res.status, res.text.slice(0, 2000)).to.equal(303);
  const match = /^\/tickets\/(\d+)$/.exec(res.headers.location as string);
  expect(match, res.headers.location as string).to.not.equal(null);
  return Number(match![1]);
}

/** Opens a ticket straight through the service (for bulk set-ups). */
export async function seedTicket(t: TestApp, username: string, subject = "Seeded ticket", type: "general" | "technical" | "non_technical" = "general"): Promise<number> {
  return createTicket({ db: t.db, clock: t.clock, mailer: t.mailer }, await actorFor(t, username), { type, subject, body: `Body of ${subject}` });
}

/** The words of a long ticket's nth event (timelineEvents): every fourth one an internal note. */
export const timelineText = (n: number) => `Event ${String(n).padStart(3, "0")} is ${n % 4 === 0 ? "a note for the team" : "a reply"}.`;

/** Adds the events numbered `from`..`to` to a ticket through the services: `requester`'s replies, every fourth one alice's internal note. */
export async function timelineEvents(t: TestApp, ticketId: number, requester: string, from: number, to: number): Promise<void> {
  const deps = { db: t.db, clock: t.clock, mailer: t.mailer };
  const [customer, alice] = [await actorFor(t, requester), await actorFor(t, "alice")];
  for (let n = from; n <= to; n++) {
    const result = n % 4 === 0 ? await addNote(deps, alice, ticketId, timelineText(n)) : await addCustomerReply(deps, customer, ticketId, timelineText(n));
    expect(result.ok, timelineText(n)).to.equal(true);
  }
}

export async function ticketRow(t: TestApp, id: number): Promise<Row> {
  const row = (await t.db("tickets").where({ id }).first()) as Row | undefined;
  expect(row, `ticket #${id}`).to.not.equal(undefined);
  return row!;
}

/** A snapshot of everything a refused write must leave alone. */
export async function writeState(t: TestApp) {
  const counts = (await t.db("ticket_status_counts").orderBy("status")) as Row[];
  return {
    tickets: (await t.db("tickets").orderBy("id")) as Row[],
    events: await count(t, "ticket_events"),
    outbox: await count(t, "outbox"),
    audit: await count(t, "audit_log"),
    counts: counts.map((c) => `${c.status as string}=${Number(c.n)}`),
  };
}

/** The ticket numbers listed in a queue or list page, in order. */
export const listedIds = (html: string, base: "/desk/tickets" | "/tickets") =>
  [...html.matchAll(new RegExp(`<td class="nowrap"><a href="${base}/(\\d+)">`, "g"))].map((m) => Number(m[1]));

/** The `after` value of a page's next link, or null. */
export function nextAfter(html: string): string | null {
  const match = /href="[^"]*[?;]after=([^"&]+)[^"]*" rel="next"/.exec(html);
  return match ? decodeURIComponent(match[1]!) : null;
}

/**
 * Mail in: carol files a ticket and alice replies to it; the ticket and the Reply-To of the reply mail that
 * reached `address` (carol's) through the app's SMTP sink, a reply+token address at `inboundDomain`.
 */
export async function replyAddressOf(t: TestAppHolder, address: string, inboundDomain: string): Promise<{ id: number; replyTo: string }> {
  const as = browsers(t);
  const id = await openTicket(await as("carol"), { subject: "Printer jams", body: "Tray 2 jams on every page." });
  await act(await as("alice"), `/desk/tickets/${id}/replies`, { body: "Please try again now." }, `/desk/tickets/${id}`);
  await t.deliverMail();
  const index = t.sink.received.findIndex((m) => m.to.includes(address));
  const replyTo = (await t.sink.parsed(index)).replyTo?.value[0]?.address ?? "";
  expect(replyTo).to.match(new RegExp(`^reply\\+[0-9a-f]{64}@${inboundDomain.replace(/\./g, "\\.")}$`));
  return { id, replyTo };
}

/** One run of the inbound pipeline with tickets' router, authenticating against the fixed DNS answers of the inbound tests. */
export function processWithFixedDns(t: TestApp, inboundDomain: string): Promise<number> {
  return processInbound({
    db: t.db, clock: t.clock, logger: createLogger("silent"), router: routeInboundMail({ db: t.db, clock: t.clock, mailer: t.mailer }, t.config.attachmentMaxBytes),
    sender: t.mailer.sender, baseUrl: t.mailer.baseUrl, inboundDomain, mta: "mx.vouchdesk.example", resolver: fixedResolver, worker: "test",
  });
}
