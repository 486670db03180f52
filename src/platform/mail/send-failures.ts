/**
 * What a failed attempt means for the mail (RFC 5321 §4.2.1): a 5xx reply to this message's own
 * commands (MAIL FROM, RCPT TO, DATA) refuses it for good, and sending it again would only get
 * the same answer; anything else may go through later and is retried with back-off.
 */

/** The commands of one message's transaction; a refusal elsewhere is about the desk's setup. */
const MESSAGE_COMMANDS = ["MAIL FROM", "RCPT TO", "DATA"];

/**
 * True when the server refused this message permanently. 4xx replies, network and TLS errors,
 * and a refused sign-in (535: the desk's credentials, not this mail) are temporary: once the
 * cause is fixed, every mail waiting goes out without anyone retrying each by hand.
 * 503 "bad sequence of commands" is the session's state, not a verdict on the mail.
 */
export function isPermanentRefusal(err: unknown): boolean {
  const e = err as { responseCode?: unknown; command?: unknown } | null;
  const code = typeof e?.responseCode === "number" ? e.responseCode : 0;
  if (code < 500 || code > 599 || code === 503) return false;
  return typeof e?.command === "string" && MESSAGE_COMMANDS.includes(e.command);
}

/**
 * A mail the worker will not try again by itself: refused for good (failed, no next attempt) or
 * out of attempts (dead). Only an admin's Retry in the mail log sends it again.
 */
export const failedForGood = (mail: { status: string; nextAttemptAt: Date | null }): boolean =>
  (mail.status === "failed" || mail.status === "dead") && mail.nextAttemptAt === null;
