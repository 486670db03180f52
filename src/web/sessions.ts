import { createHash } from "node:crypto";
import { ConnectSessionKnexStore } from "connect-session-knex";
import session, { type SessionData } from "express-session";
import type { RequestHandler } from "express";
import type { Clock } from "../shared/clock.js";
import { hours, minutes } from "../shared/clock.js";
import { isDatabaseUnavailable, type Db } from "../shared/db.js";
import { sessionOf } from "./request-meta.js";

export const IDLE_TIMEOUT_MS = minutes(30);
export const ABSOLUTE_TIMEOUT_MS = hours(12);
/** How often activity is written to the session: idle time is measured to this precision. */
const LAST_SEEN_STEP_MS = minutes(1);

const hashSid = (sid: string) => createHash("sha256").update(sid).digest("hex");

/**
 * A session store's failure as express-session gets it: the code (to tell "database away"
 * from a bug) without the failed query or its values, which name the session row.
 */
class SessionStoreError extends Error {
  override name = "SessionStoreError";
  readonly code: unknown;
  constructor(operation: string, err: unknown) {
    const code = (err as { code?: unknown } | null)?.code;
    super(`session ${operation} failed${typeof code === "string" ? ` (${code})` : ""}`);
    this.code = code;
    // Only errors that say "the database is away" are kept: a reader of `cause` may print its message.
    if (isDatabaseUnavailable(err)) this.cause = err;
  }
}

/**
 * connect-session-knex hands an error to the callback *and* rethrows it into the promise it
 * returns, which express-session drops: one unhandled rejection per failed request. Here the
 * promise always resolves and the error goes to the callback only.
 */
function settle<T>(operation: string, work: Promise<T>, fallback: T, cb?: (err: unknown, value?: T) => void): Promise<T> {
  return work.then(
    (value) => {
      cb?.(null, value);
      return value;
    },
    (err: unknown) => {
      cb?.(new SessionStoreError(operation, err));
      return fallback;
    },
  );
}

/** The migrations create the table: the store's own start-up check is neither awaited nor allowed to poison later calls. */
function skipTableCheck(store: ConnectSessionKnexStore): void {
  store.ready.catch(() => undefined);
  store.ready = Promise.resolve();
}

/**
 * The knex session store, keyed by a SHA-256 of the session id: a copy of the
 * database does not hold a single usable session cookie.
 */
class HashedSidStore extends ConnectSessionKnexStore {
  /** Sessions are read, on every request, through the read-only handle. */
  private readonly readStore: ConnectSessionKnexStore;

  constructor(db: Db, reader: Db) {
    const options = { createTable: false, tableName: "sessions", cleanupInterval: 0 };
    super({ ...options, knex: db });
    this.readStore = new ConnectSessionKnexStore({ ...options, knex: reader });
    skipTableCheck(this);
    skipTableCheck(this.readStore);
  }

  override get(sid: string, cb: (err: unknown, s?: SessionData | null) => void) {
    return settle("read", this.readStore.get(hashSid(sid), ignore), null, cb);
  }
  override set(sid: string, s: SessionData, cb?: (err?: unknown) => void) {
    return settle("write", super.set(hashSid(sid), s), undefined, cb);
  }
  /**
   * No write per request: the row's expiry moves whenever the session is saved, and
   * {@link sessionTimeouts} saves it at least once a minute while it is in use.
   */
  override touch(_sid: string, _s: SessionData, cb?: () => void): Promise<void> {
    cb?.();
    return Promise.resolve();
  }
  override destroy(sid: string, cb?: (err?: unknown) => void) {
    return settle("delete", super.destroy(hashSid(sid)), 0, cb);
  }
}

/** The parent's get wants a callback; {@link settle} answers instead. */
const ignore = () => undefined;

// __Host- pins the cookie to this origin over HTTPS; it needs Secure, so production only.
export const sessionCookieName = (production: boolean) => (production ? "__Host-vouchdesk" : "vouchdesk.sid");

export function sessionMiddleware(db: Db, reader: Db, secret: string, production: boolean): RequestHandler {
  return session({
    name: sessionCookieName(production),
    secret,
    store: new HashedSidStore(db, reader),
    resave: false,
    saveUninitialized: false,
    // The cookie is re-sent (and re-signed) when the session is saved, at least once a minute in use.
    rolling: false,
    cookie: { httpOnly: true, sameSite: "lax", secure: production, path: "/", maxAge: IDLE_TIMEOUT_MS },
  });
}

/**
 * Idle (30 min) and absolute (12 h) time-outs, checked against the server's clock
 * rather than trusting the cookie's own expiry.
 */
export function sessionTimeouts(clock: Clock): RequestHandler {
  return (req, _res, next) => {
    const s = req.session;
    if (s.startedAt === undefined) return next(); // not signed in: nothing to time out
    const now = clock.now().getTime();
    if (now - (s.lastSeenAt ?? s.startedAt) > IDLE_TIMEOUT_MS || now - s.startedAt > ABSOLUTE_TIMEOUT_MS) {
      return s.regenerate((err) => next(err));
    }
    // Saving the session costs a database write; once a minute is precise enough for a 30-minute limit.
    if (now - (s.lastSeenAt ?? 0) >= LAST_SEEN_STEP_MS) s.lastSeenAt = now;
    next();
  };
}

/** Starts the clocks of a session that has just been signed in. */
export function startSessionClock(req: Express.Request, clock: Clock): void {
  const now = clock.now().getTime();
  req.session.startedAt = now;
  req.session.lastSeenAt = now;
}

/** What express-session compares to decide whether to save: the id and the data without the cookie. */
const sessionState = (req: Express.Request): string | undefined => {
  const current = sessionOf(req);
  return current && `${current.id} ${JSON.stringify(current, (key: string, value: unknown) => (key === "cookie" ? undefined : value))}`;
};

/**
 * express-session writes the page out and only then saves the session, so a failed save
 * (a fresh CSRF token, a flash message) cannot turn into an error page: the browser gets a
 * page cut short, with a token no session holds. This saves a changed session before the
 * response leaves; when that fails, the response is put back as it was when the session was
 * read and the error goes to the error handler, without the session: whatever the failure, the
 * error page must not save it again (and fail again mid-page). A response already streaming keeps the old way.
 */
export const saveSessionBeforeResponse: RequestHandler = (req, res, next) => {
  const before = sessionState(req);
  const headersBefore = new Set(res.getHeaderNames());
  const end = res.end.bind(res);
  res.end = function (...args: unknown[]) {
    const finish = () => end(...(args as Parameters<typeof end>));
    if (res.headersSent || !sessionOf(req) || sessionState(req) === before) return finish();
    req.session.save((err) => {
      if (!err) return finish();
      res.end = end;
      for (const name of res.getHeaderNames()) if (!headersBefore.has(name)) res.removeHeader(name);
      Reflect.deleteProperty(req, "session");
      next(err);
    });
    return res;
  } as typeof res.end;
  next();
};
