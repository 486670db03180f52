// The audit log in words (issue 16 item 10): each action's label for the admin's page. The
// stored names stay as they are (filters and the chain use them); a name not listed here still
// reads as its family and words, so a new action is never shown as a bare code.

const FAMILIES: Record<string, string> = {
  account: "Account",
  audit: "Audit log",
  contact: "Contact",
  demo_data: "Demo data",
  desk_key: "Desk key",
  key: "OpenPGP key",
  login: "Login",
  mail: "Mail",
  password: "Password",
  record_change: "Change of the records",
  reset: "Primary reset",
  second_factor: "Two-step sign-in",
  security_questions: "Security questions",
  sign_in: "Sign-in",
  step_up: "Identity check",
  task: "Task",
  ticket: "Ticket",
  tickets: "Tickets",
  user: "Login",
};

/** Where the family's name and the action's words do not read well by themselves. */
const LABELS: Record<string, string> = {
  "sign_in.succeeded": "Signed in",
  "sign_in.failed": "Sign-in failed",
  "sign_in.password_accepted": "Sign-in: password accepted, second step next",
  "sign_in.locked": "Sign-in locked after repeated failures",
  "sign_in.rate_limited": "Sign-in attempts from one address refused (rate limit)",
  "sign_in.refused": "Sign-in refused",
  "step_up.confirmed": "Identity confirmed again (step-up)",
  "step_up.refused": "Identity check (step-up) failed",
  "password.changed": "Password changed",
  "password.change_refused": "Password change refused",
  "password.set_by_link": "Password set from a mailed link",
  "password.reset_by_link": "Password reset from a mailed link",
  "password.reset_link_sent": "Self-service reset link sent",
  "password.reset_link_not_sent": "Self-service reset link not sent",
  "password.reset_rate_limited": "Self-service reset requests refused (rate limit)",
  "password.reset_answers_wrong": "Self-service reset: wrong security answers",
  "password.reset_code_refused": "Self-service reset: wrong second-factor code",
  "login.cases_authorisation": "Login's authorisation to open cases changed",
  "login.confirmed": "Staff login confirmed by a second admin",
  "login.unconfirmed": "Staff login's confirmation withdrawn",
  "reset.requested": "Primary reset requested",
  "reset.callback_recorded": "Primary reset: callback recorded",
  "reset.approved": "Primary reset approved; temporary password sent",
  "reset.rejected": "Primary reset rejected",
  "reset.redeemed": "Primary reset completed: the holder set a new password",
  "reset.expired": "Primary reset expired unused",
  "reset.withdrawn": "Primary reset's temporary password withdrawn",
  "reset.objected": "Objection to a primary reset",
  "reset.objection_cleared": "Objection to a primary reset cleared",
  "reset.delivery_failed": "Primary reset: temporary password not delivered",
  "second_factor.totp_added": "Authenticator app added",
  "second_factor.totp_removed": "Authenticator app removed",
  "second_factor.passkey_added": "Passkey added",
  "second_factor.passkey_removed": "Passkey removed",
  "second_factor.all_removed": "Every second factor removed",
  "second_factor.recovery_code_used": "Recovery code used",
  "second_factor.recovery_codes_regenerated": "Recovery codes made anew",
  "mail.retried": "Mail sent again by an admin",
  "mail.inbound_released": "Inbound mail released from the quarantine",
  "mail.inbound_discarded": "Inbound mail discarded from the quarantine",
  "mail.test_sent": "Test mail sent",
  "task.run_requested": "Task run now by an admin",
  "desk_key.rotated": "Desk key replaced",
  "audit.verified": "Audit chain verified",
};

/** The label of a stored action name: "reset.approved" → "Primary reset approved; temporary password sent". */
export function auditActionLabel(action: string): string {
  const known = LABELS[action];
  if (known) return known;
  const [family = "", ...rest] = action.split(".");
  const words = rest.join(" ").replace(/_/g, " ");
  const head = FAMILIES[family] ?? family.replace(/_/g, " ");
  return words ? `${head}: ${words}` : head;
}

/** An address as people write it: an IPv4 client seen through a dual-stack socket ("::ffff:192.0.2.1") as plain IPv4. */
export const displayAddress = (ip: string): string => ip.replace(/^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i, "$1");
