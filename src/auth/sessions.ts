import { createHash } from "node:crypto";
import { ConnectSessionKnexStore } from "connect-session-knex";
import session, { type SessionData } from "express-session";
import type { RequestHandler } from "express";
import type { Clock } from "../clock.js";
import { hours, minutes } from "../clock.js";
import type { Db } from "../db.js";

export const IDLE_TIMEOUT_MS = minutes(30);
export const ABSOLUTE_TIMEOUT_MS = hours(12);
/** How often activity is written to the session: idle time is measured to this precision. */
const LAST_SEEN_STEP_MS = minutes(1);

const hashSid = (sid: string) => createHash("sha256").update(sid).digest("hex");

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
  }

  override get(sid: string, cb: (err: unknown, s?: SessionData | null) => void) {
    return this.readStore.get(hashSid(sid), cb);
  }
  override set(sid: string, s: SessionData, cb?: (err?: unknown) => void) {
    return super.set(hashSid(sid), s, cb);
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
    return super.destroy(hashSid(sid), cb);
  }
}

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
