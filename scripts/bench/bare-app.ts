import path from "node:path";
import express, { Router, type Express } from "express";
import { STATUS_LABELS, TICKET_STATUSES } from "../../src/tickets/vocabulary.js";
import { requireAgent } from "../../src/web/guards.js";
import { exposeViewerTimeZone } from "../../src/web/view-helpers.js";
import { useViews } from "../../src/web/views.js";
import { projectRoot } from "../../src/shared/paths.js";

/** From the project root, not this file: the compiled server runs from var/bench/dist, where tsc copies no templates. */
const BODY = path.join(projectRoot, "scripts/bench/bare-page.ejs");
const HOUR = 3_600_000;

/** What the page shows, made up once: the counts, the filter choices and 50 rows. */
function pageData() {
  const now = Date.now();
  const rows = Array.from({ length: 50 }, (_, i) => ({
    id: 1_000_000 - i,
    subject: `Cannot upload attachments over 5 MB (ref ${40_000 + i})`,
    account: "NWL",
    requester: i % 3 ? "maria.lopez.nwl" : "NWL0001",
    status: TICKET_STATUSES[i % 4]!,
    priority: ["low", "normal", "high", "urgent"][i % 4]!,
    assignee: i % 5 ? "alice" : null,
    createdAt: new Date(now - (i + 2) * HOUR),
    updatedAt: new Date(now - i * 60_000),
  }));
  const counts = TICKET_STATUSES.map((s, i) => [s, [1_589, 5_802, 6_153, 11_357, 75_099][i]!] as const);
  const selects = [
    { name: "status", label: "Status", options: [["", "Any"], ...TICKET_STATUSES.map((s) => [s, STATUS_LABELS[s]])] },
    { name: "type", label: "Type", options: [["", "Any"], ["general", "General question"], ["technical", "Technical problem"], ["non_technical", "Billing or other non-technical matter"], ["primary_reset", "Primary account password reset"]] },
    { name: "assignee", label: "Assignee", options: [["any", "Anyone"], ["me", "Me"], ["unassigned", "Unassigned"], ["1", "admin"], ["2", "alice"], ["3", "bob"]] },
  ];
  return { now, rows, counts, selects, labels: STATUS_LABELS };
}

/** Where the app serves the bare-stack page, in the bench server only (AppDeps.extraRoutes). */
export const BARE_STACK_PATH = "/bench/bare-stack";

/**
 * The second baseline, mounted behind the app's whole stack (security headers, the session
 * read from the real store, passport, CSRF, the gates, the nav's approval count and every
 * router's path matching): the bare page's body with its data from memory, rendered in the
 * layout for the signed-in agent. It refuses like the desk: no session, the sign-in page.
 * What /desk costs beyond it is our queries and views; what it costs beyond the bare page is the stack.
 */
export function bareStackRoutes(): Router {
  const router = Router();
  const data = pageData();
  // The nav marks "Queue" as on the bare page and /desk (res.locals.path would be this path).
  router.get(BARE_STACK_PATH, ...requireAgent, (_req, res) => res.render(BODY, { title: "Queue", path: "/desk", ...data }));
  return router;
}

/**
 * The baseline: a bare Express app with the desk's view setup (EJS, views/layout/main.ejs,
 * cached templates, the viewer's time zone) rendering a page with the queue's markup from
 * memory — no other middleware, no session, no database. The queue page is compared with this in the same process and run.
 */
export function bareApp(): Express {
  const app = express();
  app.disable("x-powered-by");
  useViews(app, true);
  // The one per-request local every page's views read (their formatDateTime), as the desk sets it.
  app.use(exposeViewerTimeZone("UTC"));
  const data = pageData();
  const user = { username: "alice", displayName: "Alice Agent", role: "agent" };
  app.get("/desk", (_req, res) => res.render(BODY, { title: "Queue", user, path: "/desk", csrfToken: "c".repeat(43), ...data }));
  return app;
}
