import js from "@eslint/js";
import tseslint from "typescript-eslint";


// DESIGN §8's walls. Each folder gets one complete rule (a later block would replace, not add).
// Paths are matched as written, so each pattern knows how deep its folder sits under src/.
const DOMAINS = ["resets", "tickets", "accounts", "identity"];
const WEB_ONLY = ["express", "express-session", "express-rate-limit", "passport", "passport-local", "connect-session-knex", "csrf-sync", "helmet", "pino-http", "zod"]
  .map((name) => ({ name, message: "HTTP, sessions and form schemas live in src/web/ only (DESIGN §8)." }));
const pattern = (regex, message) => ({ regex, message });
const notMainOrDev = (up) => [
  pattern(`^${up}main/`, "Nothing imports src/main/: it is the composition root (DESIGN §8)."),
  pattern(`^${up}dev/`, "src/dev/ (demo and seed data) is imported only by src/main/ and scripts/ (DESIGN §8)."),
];
const throughFace = (up, domains, who) =>
  pattern(`^${up}(${domains.join("|")})/(?!index\\.js$)`, `${who} import a domain only through its index.ts; its stores and services stay private (DESIGN §8).`);
// identity's face also serves the domains above it steps they take inside their own transactions
// (each with that domain's audit and notices); a web route never takes them itself.
const IDENTITY_STEPS = ["registerLogin", "liftLockout", "lockLoginRow", "storeCanOpenCases", "storeLoginDisabled", "updateLoginDetails", "storeNewTicketMail",
  "putKeyInUse", "takeKeyOutOfUse", "giveTemporaryPassword", "endTemporaryPassword", "issueLinkToken", "spendLinksOf", "countWrongAnswers",
  "removeAllFactors"];
const identityStepsFrom = (up) => ({
  name: `${up}identity/index.js`,
  importNames: IDENTITY_STEPS,
  message: "A route changes a login only through the service of the domain that owns the rule (accounts, resets), never by identity's steps (DESIGN §8).",
});
const walls = (files, paths, patterns) => ({ files, rules: { "no-restricted-imports": ["error", { paths, patterns }] } });

const domainWalls = DOMAINS.map((domain, rank) => {
  const higher = DOMAINS.slice(0, rank);
  const lower = DOMAINS.slice(rank + 1);
  return walls([`src/${domain}/**/*.ts`], WEB_ONLY, [
    pattern("^\\.\\./web/", "A domain knows nothing of HTTP: never import src/web/ (DESIGN §8)."),
    ...notMainOrDev("\\.\\./"),
    ...(higher.length ? [pattern(`^\\.\\./(${higher.join("|")})/`, `The domains form a chain resets → tickets → accounts → identity: ${domain} may not import ${higher.join(" or ")} (DESIGN §8).`)] : []),
    ...(lower.length ? [throughFace("\\.\\./", lower, "Domains")] : []),
  ]);
});

const architectureWalls = [
  walls(["src/web/*.ts"], [identityStepsFrom("../")], [throughFace("\\.\\./", DOMAINS, "Web code must"), ...notMainOrDev("\\.\\./")]),
  walls(["src/web/*/**/*.ts"], [identityStepsFrom("../../")], [
    throughFace("\\.\\./\\.\\./", DOMAINS, "Web code must"),
    ...notMainOrDev("\\.\\./\\.\\./"),
    pattern("^\\.\\./(auth|account|admin|desk|portal|resets)/.*-routes\\.js$", "One web area does not import another's routes: share the piece through src/web/ (DESIGN §8)."),
  ]),
  ...domainWalls,
  walls(["src/platform/**/*.ts"], WEB_ONLY, [
    pattern(`^\\.\\./\\.\\./(?!shared/)`, "src/platform/ imports only src/shared/: the composition root wires it to the domains (DESIGN §8)."),
    pattern("^\\.\\./(?!\\.\\./)", "One platform part does not import another (mail knows neither audit nor tasks): src/main/ wires them (DESIGN §8)."),
  ]),
  // A part's own subfolder (mail/inbound/) sits one deeper: it may use its part (../), and still only src/shared/ beyond.
  walls(["src/platform/*/*/**/*.ts"], WEB_ONLY, [
    pattern(`^\\.\\./\\.\\./\\.\\./(?!shared/)`, "src/platform/ imports only src/shared/: the composition root wires it to the domains (DESIGN §8)."),
    pattern("^\\.\\./\\.\\./(?!\\.\\./)", "One platform part does not import another (mail knows neither audit nor tasks): src/main/ wires them (DESIGN §8)."),
  ]),
  walls(["src/shared/**/*.ts"], WEB_ONLY.filter((p) => p.name === "express" || p.name.startsWith("express-") || p.name.startsWith("passport")), [
    pattern("^\\.\\./(?!\\.\\./migrations/)", "src/shared/ is the ground: it imports nothing else in src/ (DESIGN §8)."),
  ]),
  {
    // Express's global types (Express.User, Express.Request) are HTTP too: below web/ an actor is shared/actor.ts.
    files: ["src/{resets,tickets,accounts,identity,platform,shared}/**/*.ts"],
    rules: {
      "no-restricted-syntax": ["error", { selector: "TSQualifiedName[left.name='Express']", message: "Below src/web/ nothing knows Express: take an Actor (src/shared/actor.ts) or the plain values (DESIGN §8)." }],
    },
  },
  walls(["src/dev/**/*.ts"], WEB_ONLY, [pattern("^\\.\\./(web|main)/", "Demo and seed data never go through src/web/ or src/main/; they may write raw rows, which is their purpose (DESIGN §8).")]),
];

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "var/", "public/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  // src/ and scripts/ hold the shipped code: the stricter set; test/ keeps the recommended one.
  ...tseslint.configs.strictTypeChecked.map((config) => ({ ...config, files: ["src/**/*.ts", "scripts/**/*.ts"] })),
  {
    files: ["src/**/*.ts", "scripts/**/*.ts"],
    rules: {
      // Numbers in messages and logs are fine; other non-strings still need an explicit String().
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      // `req.user!` after a guard is the idiom: the guard runs before every handler that uses it.
      "@typescript-eslint/no-non-null-assertion": "off",
      // `return res.render(…)` is the handlers' shortcut for "respond and stop".
      "@typescript-eslint/no-confusing-void-expression": "off",
    },
  },
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false } }],
      "no-console": "error",
    },
  },
  ...architectureWalls,
  {
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-expressions": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      // Tests read rows straight from knex (typed any) and name their shape inline.
      "@typescript-eslint/no-unnecessary-type-assertion": "off",
    },
  },
  {
    files: ["eslint.config.js"],
    ...tseslint.configs.disableTypeChecked,
  },
);
