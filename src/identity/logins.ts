import type { Knex } from "knex";
import type { Db } from "../shared/db.js";
import { clearFailedSignIns, insertLogin, type NewLogin } from "./users-store.js";

/**
 * Creates a login. Without a password hash it cannot sign in until its holder sets one through a
 * set-password link (nobody chooses another's password); with one (the CLI, the demo data), that
 * password starts its history. Staff made by an admin in the console start unconfirmed, made
 * at the server (`confirmed`) confirmed. Returns its id.
 */
export function registerLogin(trx: Db | Knex.Transaction, login: NewLogin, now: Date): Promise<number> {
  return insertLogin(trx, login, now);
}

/** Lifts a lockout before it runs out: the lock and the count of failed sign-ins are cleared (accounts audits and mails it). */
export function liftLockout(trx: Db | Knex.Transaction, userId: number, now: Date): Promise<void> {
  return clearFailedSignIns(trx, userId, now);
}
