import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import path from "node:path";
import { z } from "zod";
import { timeZoneName } from "./formatting.js";
import { projectRoot } from "./paths.js";

/** Thrown when the environment holds a bad value; its message is one line naming the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const flag = z
  .string()
  .toLowerCase()
  .pipe(z.enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" }))
  .transform((v) => v === "true" || v === "1" || v === "yes");

const url = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });

const databaseUrl = z.string().superRefine((value, ctx) => {
  const problem = databaseUrlProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const POSTGRES_FORM = "postgres://user:password@host:5432/database, with special characters in the password percent-encoded";

/**
 * What is wrong with a DATABASE_URL, read strictly: pg fills whatever it cannot parse with its
 * defaults, so a malformed URL would quietly connect to localhost:5432 as the process's user.
 * Never quotes the value, which holds the password.
 */
export function databaseUrlProblem(value: string): string | undefined {
  if (value.startsWith("sqlite:")) {
    return value === "sqlite:" ? "needs a file after sqlite: (sqlite:/path/to/desk.sqlite, or sqlite::memory:)" : undefined;
  }
  if (!/^postgres(ql)?:\/\//.test(value)) return "must start with postgres:// or sqlite:";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `is not a valid URL; expected ${POSTGRES_FORM}`;
  }
  // A unix socket is named by ?host=/path, with the URL's own host left empty.
  const socket = url.searchParams.get("host")?.startsWith("/");
  if (!url.hostname && !socket) return `has no host; expected ${POSTGRES_FORM}`;
  if (url.hash) return `has a "#" (a fragment); percent-encode it as %23 in the password`;
  if (!/^\/[^/]+$/.test(url.pathname)) return `must name one database after the host; expected ${POSTGRES_FORM}`;
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
    decodeURIComponent(url.pathname);
  } catch {
    return `has a "%" that is not a percent-encoding; write it as %25`;
  }
  return undefined;
}

/** Names Express (proxy-addr) knows for address ranges. */
const NAMED_RANGES = new Set(["loopback", "linklocal", "uniquelocal"]);

function isAddressOrCidr(item: string): boolean {
  const [address = "", prefix, ...rest] = item.split("/");
  const version = isIP(address);
  if (!version || rest.length) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
}

/**
 * Which peers may say, in X-Forwarded-For and X-Forwarded-Proto, who the client is and that it
 * came over HTTPS: Express's `trust proxy`. Never `true`: trusting every hop lets any client
 * choose its own address and slip past the per-address limits.
 */
const trustProxy = z
  .string()
  .trim()
  .refine(
    (v) => v === "false" || /^([1-9]|10)$/.test(v) || v.split(",").every((item) => NAMED_RANGES.has(item.trim()) || isAddressOrCidr(item.trim())),
    "must be false, a hop count from 1 to 10, loopback, or a comma-separated list of proxy addresses or CIDRs (never true: name the proxy)",
  )
  .transform((v): false | number | string[] => (v === "false" ? false : /^\d+$/.test(v) ? Number(v) : v.split(",").map((item) => item.trim())));

/**
 * DATA_KEY: the 32-byte AES-256 key that seals factor secrets, as 64 hex digits or base64
 * (standard or URL-safe, padding optional).
 */
const dataKey = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const key = decodeDataKey(v);
    if (!key) ctx.addIssue({ code: "custom", message: "must be 32 random bytes written as 64 hex digits or 43-44 base64 characters (make one with: openssl rand -base64 32)" });
    // A placeholder such as 64 zeros decodes, but seals nothing anyone could not open.
    else if (key.every((b) => b === key[0])) ctx.addIssue({ code: "custom", message: "is one byte repeated (a placeholder, not a key): make a random one with: openssl rand -base64 32" });
    return key ?? z.NEVER;
  });

/** A 32-byte key from hex or base64 text, or null when the text is neither or not 32 bytes. */
export function decodeDataKey(text: string): Buffer | null {
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, "hex") : /^[A-Za-z0-9+/_-]{43}=?$/.test(text) ? Buffer.from(text, "base64") : null;
  return key?.length === 32 ? key : null;
}

/** TIME_ZONE: an IANA zone name as Intl knows it, kept in its canonical spelling ("europe/london" → "Europe/London"). */
const timeZone = z
  .string()
  .trim()
  .transform((v, ctx) => timeZoneName(v) ?? (ctx.addIssue({ code: "custom", message: "must be an IANA time zone name such as Europe/London, America/New_York or UTC" }), z.NEVER));

const secondFactorPolicy = z.enum(["required", "optional"], { error: "must be required or optional" });

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"], { error: "must be development, production or test" }).default("development"),
  PORT: integer(1, 65535).default(3000),
  BASE_URL: url.optional(),
  TRUST_PROXY: trustProxy.default(false),
  VAR_DIR: z.string().min(1).default("var"),
  DATABASE_URL: databaseUrl.optional(),
  SESSION_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  DATA_KEY: dataKey.optional(),
  STAFF_SECOND_FACTOR: secondFactorPolicy.optional(),
  CUSTOMER_SECOND_FACTOR: secondFactorPolicy.default("optional"),
  STEP_UP_MINUTES: integer(1, 60).default(5),
  SECURITY_QUESTIONS: z.enum(["on", "off"], { error: "must be on or off" }).default("on"),
  KEYLESS_DELIVERY: z.enum(["on", "off"], { error: "must be on or off" }).default("on"),
  MAIL_TRANSPORT: z.enum(["file", "smtp"], { error: "must be file or smtp" }).default("file"),
  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: integer(1, 65535).default(587),
  SMTP_SECURE: flag.default(false),
  SMTP_USER: z.string().optional(),
  SMTP_PASS: z.string().optional(),
  MAIL_FROM: z.string().min(3).default("Vouchdesk <no-reply@vouchdesk.localhost>"),
  TEMP_PASSWORD_TTL_HOURS: integer(1, 24).default(24),
  RESET_LINK_TTL_MINUTES: integer(5, 1440).default(60),
  RESET_TWO_PERSON: flag.default(true),
  LOGIN_MAX_FAILURES: integer(1, 100).default(5),
  LOGIN_LOCK_MINUTES: integer(1, 1440).default(15),
  LOGIN_IP_LIMIT: integer(1, 100000).default(30),
  PASSWORD_POLICY: z.enum(["classic", "nist"], { error: "must be classic or nist" }).default("classic"),
  DESK_KEY_FILE: z.string().min(1).optional(),
  DESK_KEY_ROTATE: flag.default(false),
  WORKER: z.enum(["inline", "off"], { error: "must be inline or off" }).default("inline"),
  MAIL_LEASE_SECONDS: integer(2, 3600).default(120),
  TASK_LEASE_SECONDS: integer(2, 3600).default(120),
  TIME_ZONE: timeZone.default("UTC"),
  INBOUND_SMTP_PORT: integer(1, 65535).optional(),
  INBOUND_SMTP_HOST: z.string().trim().min(1).default("127.0.0.1"),
  INBOUND_PROTOCOL: z.enum(["smtp", "lmtp"], { error: "must be smtp or lmtp" }).default("smtp"),
  INBOUND_DOMAIN: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a mail domain such as desk.example.com")
    .optional(),
  IMAP_URL: z.string().trim().regex(/^imaps?:\/\/[^/]+/, "must be imap:// or imaps://user:password@host[:port][/mailbox]").optional(),
  IMAP_POLL_SECONDS: integer(5, 3600).default(60),
  ATTACHMENT_MAX_MB: integer(1, 100).default(10),
  // Sent as a bearer token in a header: the characters of RFC 6750's token68, so any scraper can send it.
  METRICS_TOKEN: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._~+/=-]{32,}$/, "must be at least 32 characters of letters, digits and - . _ ~ + / = (make one with: openssl rand -base64 32)")
    .optional(),
  METRICS_PORT: integer(1, 65535).optional(),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      error: "must be one of fatal, error, warn, info, debug, trace, silent",
    })
    .default("info"),
});

/** Variables whose values never appear in an error message. */
const SECRET_VARIABLES = new Set(["SESSION_SECRET", "SMTP_PASS", "DATABASE_URL", "DATA_KEY", "IMAP_URL", "METRICS_TOKEN"]);

export type Config = ReturnType<typeof buildConfig>;

/**
 * Reads the environment once into a typed, validated configuration.
 * Empty strings count as unset, so `PORT=` falls back to the default.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.keys(schema.shape);
  const input = Object.fromEntries(
    known.filter((k) => env[k] !== undefined && env[k] !== "").map((k) => [k, env[k]]),
  );
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? "environment");
    const shown = SECRET_VARIABLES.has(name) || env[name] === undefined ? "" : ` (got ${JSON.stringify(env[name])})`;
    throw new ConfigError(`Invalid configuration: ${name} ${issue.message}${shown}`);
  }
  return buildConfig(parsed.data, new Set(Object.keys(input)));
}

/** The mail variables an admin's saved settings cannot override (issue 18): the ones set in the environment. */
const MAIL_VARIABLES = ["MAIL_TRANSPORT", "SMTP_HOST", "SMTP_PORT", "SMTP_SECURE", "SMTP_USER", "SMTP_PASS", "MAIL_FROM"] as const;
export type MailVariable = (typeof MAIL_VARIABLES)[number];

function buildConfig(e: z.infer<typeof schema>, set: ReadonlySet<string>) {
  const production = e.NODE_ENV === "production";
  const varDir = path.resolve(projectRoot, e.VAR_DIR);
  if (production && !e.SESSION_SECRET) {
    throw new ConfigError("Invalid configuration: SESSION_SECRET is required when NODE_ENV=production");
  }
  // The app speaks plain HTTP and its session cookie is Secure: in production a TLS proxy must
  // stand in front, and the app must trust it to say the request came over HTTPS.
  if (production && !e.BASE_URL?.startsWith("https://")) {
    throw new ConfigError(`Invalid configuration: BASE_URL must be the desk's https:// address when NODE_ENV=production (behind a TLS proxy; see "Running in production" in the README)`);
  }
  if (production && e.TRUST_PROXY === false) {
    throw new ConfigError(`Invalid configuration: TRUST_PROXY must name the TLS proxy when NODE_ENV=production (e.g. loopback, 1, or its address), or no sign-in can work (see "Running in production" in the README)`);
  }
  if (e.METRICS_PORT !== undefined && (e.METRICS_PORT === e.PORT || e.METRICS_PORT === e.INBOUND_SMTP_PORT)) {
    throw new ConfigError(`Invalid configuration: METRICS_PORT must differ from ${e.METRICS_PORT === e.PORT ? "PORT" : "INBOUND_SMTP_PORT"} (got ${e.METRICS_PORT}): it is a listener of its own, on loopback`);
  }
  if (e.MAIL_TRANSPORT === "smtp" && !e.SMTP_HOST) {
    throw new ConfigError("Invalid configuration: SMTP_HOST is required when MAIL_TRANSPORT=smtp");
  }
  return {
    env: e.NODE_ENV,
    production,
    port: e.PORT,
    baseUrl: (e.BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
    /** Express's `trust proxy`: false, a hop count, or addresses, CIDRs and named ranges. */
    trustProxy: e.TRUST_PROXY,
    varDir,
    databaseUrl: e.DATABASE_URL ?? `sqlite:${path.join(varDir, "vouchdesk.sqlite")}`,
    /** Absent until resolved by {@link resolveSessionSecret}, which may write one into var/. */
    sessionSecret: e.SESSION_SECRET,
    /** Absent until resolved by resolveDataKey (shared/sealing.ts), which may write one into var/. */
    dataKey: e.DATA_KEY,
    /** Whether a login must have a second factor before it reaches anything but enrolment. */
    secondFactor: { staff: e.STAFF_SECOND_FACTOR ?? (production ? "required" : "optional"), customer: e.CUSTOMER_SECOND_FACTOR },
    /** How long a second-factor check holds for the dangerous steps before they ask for it again (step-up). */
    stepUpMs: e.STEP_UP_MINUTES * 60_000,
    /** SECURITY_QUESTIONS: whether a self-service link of a login without a factor may ask its security questions (NIST and ASVS v5 advise against them). */
    securityQuestions: e.SECURITY_QUESTIONS === "on",
    /** KEYLESS_DELIVERY: a primary with no usable key gets the temporary password locked with a passphrase read on the callback (DESIGN §3 step 4b); off, the request waits for a key. */
    keylessDelivery: e.KEYLESS_DELIVERY === "on",
    mail: {
      transport: e.MAIL_TRANSPORT,
      from: e.MAIL_FROM,
      dir: path.join(varDir, "mail"),
      smtp: { host: e.SMTP_HOST, port: e.SMTP_PORT, secure: e.SMTP_SECURE, user: e.SMTP_USER, pass: e.SMTP_PASS },
      /** Which of the mail variables were set: those win over the settings saved in the console. */
      fromEnvironment: new Set<MailVariable>(MAIL_VARIABLES.filter((name) => set.has(name))),
    },
    tempPasswordTtlHours: e.TEMP_PASSWORD_TTL_HOURS,
    resetLinkTtlMinutes: e.RESET_LINK_TTL_MINUTES,
    /** RESET_TWO_PERSON: the agent who approves a primary reset may not be the one who did its callback. Called `resetTwoPerson` in every deps. */
    resetTwoPerson: e.RESET_TWO_PERSON,
    login: { maxFailures: e.LOGIN_MAX_FAILURES, lockMinutes: e.LOGIN_LOCK_MINUTES, ipLimit: e.LOGIN_IP_LIMIT },
    passwordPolicy: e.PASSWORD_POLICY,
    deskKeyFile: path.resolve(projectRoot, e.DESK_KEY_FILE ?? path.join(varDir, "desk-key.asc")),
    /** Make a new desk key at this start, keeping the old one to open what it sealed. */
    deskKeyRotate: e.DESK_KEY_ROTATE,
    worker: e.WORKER,
    /** How long a worker's claim on a mail or a task run holds without a heartbeat (beats come every third of it). */
    leases: { mailMs: e.MAIL_LEASE_SECONDS * 1000, taskMs: e.TASK_LEASE_SECONDS * 1000 },
    /** TIME_ZONE: the desk's clock, for pages of people who chose none and for every mail. */
    timeZone: e.TIME_ZONE,
    /**
     * Mail in (issue 17): an SMTP/LMTP listener for a relaying MTA when INBOUND_SMTP_PORT is set (on loopback unless
     * INBOUND_SMTP_HOST says otherwise), IMAP fetching when IMAP_URL is set. Ticket mail carries a per-person
     * Reply-To of reply+<token>@INBOUND_DOMAIN only when INBOUND_DOMAIN is set.
     */
    inbound: {
      smtp: e.INBOUND_SMTP_PORT === undefined ? null : { host: e.INBOUND_SMTP_HOST, port: e.INBOUND_SMTP_PORT, lmtp: e.INBOUND_PROTOCOL === "lmtp" },
      domain: e.INBOUND_DOMAIN ?? null,
      imapUrl: e.IMAP_URL ?? null,
      imapPollMs: e.IMAP_POLL_SECONDS * 1000,
    },
    /** ATTACHMENT_MAX_MB: the largest file one upload or one inbound mail's attachment may be. */
    attachmentMaxBytes: e.ATTACHMENT_MAX_MB * 1024 * 1024,
    /**
     * /metrics (issue 18): on the main app behind `Authorization: Bearer METRICS_TOKEN`, and/or without a token on a
     * listener of its own bound to 127.0.0.1:METRICS_PORT; with neither set, /metrics is a 404.
     */
    metrics: { token: e.METRICS_TOKEN ?? null, port: e.METRICS_PORT ?? null },
    logLevel: e.LOG_LEVEL,
  };
}

/** Where a generated session secret lives. */
export const sessionSecretFile = (config: Config) => path.join(config.varDir, "session-secret");

/**
 * The session secret: the configured one, or (outside production) one generated
 * on first start into var/session-secret with mode 0600 and reused afterwards.
 */
export function resolveSessionSecret(config: Config): string {
  if (config.sessionSecret) return config.sessionSecret;
  const file = sessionSecretFile(config);
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(config.varDir, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret + "\n", { mode: 0o600, flag: "wx" });
  return secret;
}
