import type { Actor } from "../shared/actor.js";
import { hours } from "../shared/clock.js";
import { insertAccount, insertContact } from "../accounts/accounts-store.js";
import { hashPassword } from "../identity/password-hashing.js";
import { generateRandomPassword } from "../identity/random-password.js";
import { findLoginByUsername, insertLogin } from "../identity/users-store.js";
import { addAgentReply, assignTicket, createTicket, type TicketDeps } from "../tickets/ticket-service.js";
import type { TicketType } from "../tickets/vocabulary.js";
import type { DemoCredential } from "./demo-data.js";

type Ordinary = Exclude<TicketType, "primary_reset">;

interface DemoTicket {
  by: string;
  type: Ordinary;
  subject: string;
  body: string;
  reply?: { by: string; body: string };
  assignTo?: string;
}

const TICKETS: DemoTicket[] = [
  { by: "carol", type: "technical", subject: "VPN drops every hour since Monday", body: "The VPN client disconnects about once an hour for everyone in the Leeds office. Reconnecting works. It started on Monday after the router was replaced.", reply: { by: "alice", body: "Thank you, Carol. Could you send the VPN client's log from one laptop, covering one disconnect? It is under Help → Save log." } },
  { by: "carol", type: "non_technical", subject: "Invoice 2026-114 shows the wrong VAT number", body: "Our VAT number changed in October (GB 123 4567 89). Invoice 2026-114 still has the old one; could you send a corrected copy?", assignTo: "bob" },
  { by: "carol", type: "general", subject: "How do I add a colleague to our account?", body: "A new colleague, Priya, needs to open support cases for us. What do I need to do?" },
  { by: "erin", type: "technical", subject: "Label printer prints blank pages", body: "Since this morning the label printer in the warehouse feeds blank labels. The test page prints fine." },
  { by: "erin", type: "non_technical", subject: "New delivery address for paper invoices", body: "From March, please post paper invoices to Unit 4, Harbour Road, Hull HU1 2AB.", reply: { by: "alice", body: "Done: invoices from March go to Unit 4, Harbour Road. You will get a confirmation letter." } },
  { by: "erin", type: "general", subject: "A copy of our support contract", body: "Could you send us a PDF copy of our current support contract for our auditors?" },
];

const actorOf = async (deps: TicketDeps, username: string): Promise<Actor> => {
  const login = (await findLoginByUsername(deps.db, username))!;
  return { id: login.id, username: login.username, displayName: login.displayName, role: login.role, accountId: login.accountId, ip: null };
};

/**
 * A second demo account (Northwind Logistics: NWL0001 and erin, who may open cases) and a
 * handful of ordinary tickets across it and Acme, so a newcomer's queue is not empty (issue 18).
 * Through the ticket services, so counts, search, due times and notifications are those of any
 * ticket. `npm start` loads it with the demo records on a first start; tests do not.
 */
export async function loadDemoTickets(deps: TicketDeps, fixedPassword?: string): Promise<DemoCredential[]> {
  const then = new Date(deps.clock.now().getTime() - hours(24 * 30));
  const logins = [
    { username: "NWL0001", role: "primary" as const, displayName: "Northwind primary login", email: "primary@northwind.example" },
    { username: "erin", role: "secondary" as const, displayName: "Erin Walsh", email: "erin@northwind.example", canOpenCases: true },
  ];
  const credentials = logins.map((l) => ({ username: l.username, role: l.role, password: fixedPassword ?? generateRandomPassword() }));
  const hashes = await Promise.all(credentials.map((c) => hashPassword(c.password)));
  await deps.db.transaction(async (trx) => {
    const account = await insertAccount(trx, { code: "NWL", name: "Northwind Logistics" }, then);
    const ids = [];
    for (const [i, login] of logins.entries()) ids.push(await insertLogin(trx, { ...login, accountId: account, passwordHash: hashes[i]! }, then));
    await insertContact(trx, { accountId: account, userId: ids[0]!, name: "Nadia Novak", kind: "primary", email: "primary@northwind.example", phone: "+441482000001", authorisedForSupport: true }, then);
    await insertContact(trx, { accountId: account, userId: ids[1]!, name: "Erin Walsh", kind: "secondary", email: "erin@northwind.example", phone: "+441482000002", authorisedForSupport: true }, then);
  });
  for (const ticket of TICKETS) {
    const id = await createTicket(deps, await actorOf(deps, ticket.by), { type: ticket.type, subject: ticket.subject, body: ticket.body });
    if (ticket.reply) await addAgentReply(deps, await actorOf(deps, ticket.reply.by), id, ticket.reply.body);
    if (ticket.assignTo) await assignTicket(deps, await actorOf(deps, "admin"), id, (await actorOf(deps, ticket.assignTo)).id);
  }
  return credentials;
}
