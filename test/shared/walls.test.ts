import { expect } from "chai";
import { ESLint } from "eslint";
import { projectRoot } from "../../src/shared/paths.js";

/**
 * DESIGN §8's walls are held by `npm run lint` (eslint.config.js). These lint a line of code as
 * if it stood in a given file: each wall refuses its bad import and names the rule, and the
 * imports the layout allows pass, so a rule that stops matching fails here.
 */
describe("the layout's walls (npm run lint)", function () {
  this.timeout(120_000);
  const eslint = new ESLint({ cwd: projectRoot });

  async function wallsHit(file: string, line: string): Promise<string[]> {
    const [result] = await eslint.lintText(`${line}\nexport const used = [x];\n`, { filePath: `${projectRoot}/${file}` });
    return (result?.messages ?? []).filter((m) => m.ruleId === "no-restricted-imports" || m.ruleId === "no-restricted-syntax").map((m) => m.message);
  }

  const refused: [string, string, RegExp][] = [
    ["src/resets/withdrawal.ts", 'import x from "express";', /HTTP, sessions and form schemas live in src\/web\/ only/],
    ["src/tickets/ticket-service.ts", 'import { z as x } from "zod";', /form schemas live in src\/web\/ only/],
    ["src/resets/withdrawal.ts", 'import { findAccount as x } from "../accounts/accounts-store.js";', /only through its index\.ts/],
    ["src/tickets/queue-service.ts", 'import { notFound as x } from "../web/errors.js";', /A domain knows nothing of HTTP/],
    ["src/identity/sign-in.ts", 'import { findAccount as x } from "../accounts/index.js";', /chain resets → tickets → accounts → identity: identity may not import resets or tickets or accounts/],
    ["src/accounts/login-service.ts", 'import { findTicket as x } from "../tickets/index.js";', /accounts may not import resets or tickets/],
    ["src/web/desk/desk-routes.ts", 'import { findTicket as x } from "../../tickets/tickets-store.js";', /Web code must import a domain only through its index\.ts/],
    ["src/web/admin/login-routes.ts", 'import { storeLoginDisabled as x } from "../../identity/index.js";', /A route changes a login only through the service/],
    ["src/web/admin/login-routes.ts", 'import { accountKeyRoutes as x } from "../account/key-routes.js";', /One web area does not import another's routes/],
    ["src/platform/mail/mailer.ts", 'import { appendAudit as x } from "../audit/audit-log.js";', /One platform part does not import another/],
    ["src/platform/audit/audit-log.ts", 'import { findTicket as x } from "../../tickets/index.js";', /src\/platform\/ imports only src\/shared\//],
    ["src/shared/clock.ts", 'import { appendAudit as x } from "../platform/audit/audit-log.js";', /src\/shared\/ is the ground/],
    ["src/web/guards.ts", 'import { buildApp as x } from "../main/app.js";', /Nothing imports src\/main\//],
    ["src/tickets/queue-service.ts", 'import { seedTickets as x } from "../dev/seed-tickets.js";', /src\/dev\/ .* is imported only by src\/main\/ and scripts\//],
    ["src/tickets/queue-service.ts", "const x = (viewer: Express.User) => viewer.id;", /Below src\/web\/ nothing knows Express/],
  ];
  for (const [file, line, message] of refused) {
    it(`refuses in ${file}: ${line}`, async () => {
      const hits = await wallsHit(file, line);
      expect(hits, hits.join("\n")).to.have.length(1);
      expect(hits[0]).to.match(message);
    });
  }

  const allowed: [string, string][] = [
    ["src/resets/withdrawal.ts", 'import { findAccount as x } from "../accounts/index.js";'],
    ["src/resets/withdrawal.ts", 'import { appendAudit as x } from "../platform/audit/audit-log.js";'],
    ["src/web/desk/desk-routes.ts", 'import { findTicket as x } from "../../tickets/index.js";'],
    ["src/web/desk/desk-routes.ts", 'import x from "express";'],
    ["src/shared/db.ts", 'import { migrations as x } from "../../migrations/index.js";'],
    ["src/main/app.ts", 'import { seedTickets as x } from "../dev/seed-tickets.js";'],
    ["src/platform/mail/mailer.ts", 'import { systemClock as x } from "../../shared/clock.js";'],
  ];
  for (const [file, line] of allowed) {
    it(`allows in ${file}: ${line}`, async () => {
      expect(await wallsHit(file, line)).to.deep.equal([]);
    });
  }
});
