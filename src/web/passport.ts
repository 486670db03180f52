import type { Request } from "express";
import { Passport } from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import { findSessionLogin, signIn, type SessionLogin, type SignInDeps, type SignInFailure } from "../identity/index.js";
import type { Db } from "../shared/db.js";

/** The info a right password comes with when the login's second step is still to come. */
export const SECOND_STEP = "second_step";

/** What the session remembers of a signed-in login: who, and the epoch it signed in at. */
interface SessionPassport {
  id: number;
  epoch: number;
}

export const sessionUser = (l: SessionLogin): Express.User & { sessionEpoch: number } => ({
  id: l.id,
  accountId: l.accountId,
  username: l.username,
  role: l.role,
  displayName: l.displayName,
  email: l.email,
  mustChangePassword: l.mustChangePassword,
  canOpenCases: l.canOpenCases,
  hasActiveFactor: l.hasActiveFactor,
  timeZone: l.timeZone,
  sessionEpoch: l.sessionEpoch,
});

/**
 * After a change that ended every session of the login (a new session epoch): this one goes on,
 * signed in at the new epoch under a new id, keeping its clocks and messages.
 */
export async function renewSession(req: Request, db: Db): Promise<void> {
  const login = await findSessionLogin(db, req.user!.id);
  if (!login) throw new Error("the signed-in login is gone");
  await new Promise<void>((resolve, reject) => {
    req.login(sessionUser(login), { session: true, keepSessionInfo: true }, (err) => (err ? reject(err as Error) : resolve()));
  });
}

/**
 * A passport instance of the app's own (not the module singleton), so that several apps
 * in one process (the tests) never share strategies.
 */
export function createPassport(deps: SignInDeps & { db: Db; reader: Db }) {
  const passport = new Passport();
  passport.use(
    new LocalStrategy({ passReqToCallback: true }, (req, username, password, done) => {
      signIn(deps, username, password, req.ip).then(
        // A login with a factor is handed on with "second_step": the route holds it back until its code (second-step-routes.ts).
        (result) => (result.ok ? done(null, sessionUser({ ...result.login, hasActiveFactor: result.secondStep }), { message: result.secondStep ? SECOND_STEP : "" }) : done(null, false, { message: result.reason })),
        done,
      );
    }),
  );
  passport.serializeUser<SessionPassport>((user, done) => {
    done(null, { id: user.id, epoch: (user as ReturnType<typeof sessionUser>).sessionEpoch });
  });
  // Every request re-reads the login: a bumped epoch, a disabled login or a suspended
  // account ends the session at once.
  passport.deserializeUser<SessionPassport>((stored, done) => {
    findSessionLogin(deps.reader, stored.id).then((login) => {
      const valid = login && login.sessionEpoch === stored.epoch && !login.disabledAt && (login.accountId === null || login.accountStatus === "active");
      done(null, valid ? sessionUser(login) : false);
    }, done);
  });
  return passport;
}

export type { SignInFailure };
