import { expect } from "chai";
import type { Express } from "express";
import { MAX_ROW_ID } from "../../src/shared/row-ids.js";
import { databaseRows } from "../support/database.js";
import { browser, type Agent } from "../support/http.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { csrfToken } from "../support/forms.js";
import { signInOk } from "../support/sign-in.js";
import { useTestApp } from "../support/use-test-app.js";

interface PathRoute {
  method: "get" | "post";
  path: string;
}

type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };

/** Every route of the app, read from Express's router stack (routers are mounted at `/`). */
function routesOf(app: Express): PathRoute[] {
  const routes = new Map<string, PathRoute>();
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) for (const method of Object.keys(layer.route.methods)) routes.set(`${method} ${layer.route.path}`, { method: method as PathRoute["method"], path: layer.route.path });
      else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return [...routes.values()];
}

/** Path parameters that are not row ids: single-use link tokens and task names, each with its own 404 and tests. */
const NOT_ROW_IDS = ["get /set-password/:token", "post /set-password/:token", "get /reset-password/:token", "post /reset-password/:token", "get /objections/:token", "post /objections/:token", "get /objections/changes/:token", "post /objections/changes/:token", "post /admin/tasks/:name/run"];

/** Who may use the routes under each prefix (admins are agents too, but the desk is the agents'). */
const USER_FOR: [prefix: string, username: string][] = [
  ["/account/users/", "ACM0001"],
  ["/account/two-factor/", "carol"],
  ["/tickets/", "carol"],
  ["/desk/", "alice"],
  ["/admin/", "admin"],
];

/** Not a row id (a word, zero, negative, a fraction, too long for any column, one past int4) and a row id no row has. */
const BAD_IDS = ["abc", "0", "-1", "1.5", "99999999999", "2147483648"];
const ABSENT_ID = String(MAX_ROW_ID);

/** The error page's card: what a 404 says, without the layout around it. */
const card = (html: string) => /<section class="card narrow">[\s\S]*?<\/section>/.exec(html)?.[0] ?? "";

describe("path ids: one rule for every /:id route", () => {
  const t = useTestApp({ once: true });
  let idRoutes: PathRoute[];
  const signedIn = new Map<string, { agent: Agent; csrf: string }>();

  before(async () => {
    const routes = routesOf(t.app).filter((r) => r.path.includes("/:"));
    idRoutes = routes.filter((r) => !NOT_ROW_IDS.includes(`${r.method} ${r.path}`));
    for (const [, username] of USER_FOR) {
      const agent = browser(t.app);
      await signInOk(agent, username, DEMO_PASSWORD);
      signedIn.set(username, { agent, csrf: await csrfToken(agent, "/") });
    }
  });

  const request = (route: PathRoute, id: string) => {
    const [, username] = USER_FOR.find(([prefix]) => route.path.startsWith(prefix))!;
    const { agent, csrf } = signedIn.get(username)!;
    // Every row-id parameter of the path (an attachment's route has two) takes the id under test.
    const path = route.path.replace(/:\w+/g, encodeURIComponent(id));
    return route.method === "get" ? agent.get(path) : agent.post(path).type("form").send({ _csrf: csrf });
  };

  it("finds the routes in the router stack, each with its row ids (:id, and :aid for an attachment) and a role that may use it", () => {
    const names = idRoutes.map((r) => `${r.method} ${r.path}`);
    expect(names).to.include.members(["get /desk/tickets/:id", "post /desk/tickets/:id/approve", "get /admin/logins/:id", "post /account/users/:id/reset"]);
    expect(idRoutes.length, "routes with a path id").to.be.greaterThan(30);
    const others = routesOf(t.app).map((r) => `${r.method} ${r.path}`);
    expect(others, "the routes with other parameters still exist").to.include.members(NOT_ROW_IDS);
    for (const route of idRoutes) {
      expect(route.path.match(/:\w+/g)?.join(" "), route.path).to.be.oneOf([":id", ":id :aid"]);
      expect(USER_FOR.some(([prefix]) => route.path.startsWith(prefix)), `who may use ${route.path}`).to.equal(true);
    }
  });

  it("answers a malformed or out-of-range id with the same 404 as an absent one, and changes nothing", async () => {
    // Sessions are touched by every request; nothing else may move.
    const before = await databaseRows(t.db, ["sessions"]);
    for (const route of idRoutes) {
      const absent = await request(route, ABSENT_ID);
      expect(absent.status, `${route.method} ${route.path} with ${ABSENT_ID}: ${absent.text.slice(0, 300)}`).to.equal(404);
      expect(card(absent.text)).to.match(/There is no|does not exist/);
      for (const id of BAD_IDS) {
        const res = await request(route, id);
        expect(res.status, `${route.method} ${route.path} with ${id}`).to.equal(404);
        expect(card(res.text), `${route.method} ${route.path} with ${id}: the page of an absent id`).to.equal(card(absent.text));
      }
    }
    expect(await databaseRows(t.db, ["sessions"]), "nothing changed").to.deep.equal(before);
  });

  it("gives staff following a customer's ticket link with no ticket number the desk's 404", async () => {
    const { agent } = signedIn.get("alice")!;
    const absent = await agent.get(`/desk/tickets/${ABSENT_ID}`).expect(404);
    for (const id of BAD_IDS) {
      const res = await agent.get(`/tickets/${encodeURIComponent(id)}`);
      expect(res.status, id).to.equal(404);
      expect(card(res.text)).to.equal(card(absent.text)).and.include("There is no ticket with that number.");
    }
    await agent.get(`/tickets/${ABSENT_ID}`).expect(303).expect("location", `/desk/tickets/${ABSENT_ID}`);
  });
});
