import { auditedBy, type Actor } from "../../shared/actor.js";
import type { AppendAudit } from "../../shared/audit-entry.js";
import type { Clock } from "../../shared/clock.js";
import type { Config } from "../../shared/config.js";
import type { Db } from "../../shared/db.js";
import { done, refusedAt, type Result } from "../../shared/problems.js";
import { seal, type DataKey } from "../../shared/sealing.js";
import { effectiveMailSettings, SMTP_PASSWORD_CONTEXT, type EffectiveMailSettings, type MailSettingField } from "./mail-settings.js";
import { makeRetriesDue } from "./outbox-store.js";
import { readMailSettings, writeMailSettings, type MailSettingsWrite, type SmtpSecurity } from "./settings-store.js";

export interface MailSettingsDeps {
  db: Db;
  clock: Clock;
  config: Config;
  dataKey: DataKey;
  audit: AppendAudit;
}

/**
 * What the admin posted. A field the environment sets is absent (the route never reads it):
 * the stored value stays as it was. `password` blank keeps the stored one.
 */
export interface MailSettingsInput {
  sendingEnabled: boolean;
  transport?: "file" | "smtp";
  host?: string | null;
  port?: number;
  security?: SmtpSecurity;
  auth?: boolean;
  user?: string | null;
  password?: string;
  removePassword?: boolean;
  from?: string;
}

export async function mailSettingsNow(deps: Pick<MailSettingsDeps, "db" | "config" | "dataKey">): Promise<EffectiveMailSettings> {
  return effectiveMailSettings(deps.config, await readMailSettings(deps.db), deps.dataKey);
}

/** Field names as the audit entry lists them. */
const FIELDS: (keyof Omit<MailSettingsWrite, "passwordSealed">)[] = ["sendingEnabled", "transport", "host", "port", "security", "auth", "user", "from"];

/**
 * Saves the console's mail settings: one write that moves the version on, audited with the
 * names of the fields that changed and whether the password did (never the password). The
 * effective result must be sendable: SMTP needs a host, authentication a user. Mail waiting
 * out a back-off becomes due, so the next delivery tries it with the new settings.
 */
export async function saveMailSettings(deps: MailSettingsDeps, input: MailSettingsInput, actor: Actor): Promise<Result<{ changed: boolean; retriesDue: number }>> {
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    const current = effectiveMailSettings(deps.config, await readMailSettings(trx), deps.dataKey);
    const stored = current.stored;
    const next: MailSettingsWrite = {
      sendingEnabled: input.sendingEnabled,
      transport: input.transport ?? stored.transport,
      host: input.host !== undefined ? input.host : stored.host,
      port: input.port ?? stored.port,
      security: input.security ?? stored.security,
      auth: input.auth ?? stored.auth,
      user: input.user !== undefined ? input.user : stored.user,
      passwordSealed: input.removePassword ? null : input.password ? seal(deps.dataKey, input.password, SMTP_PASSWORD_CONTEXT) : stored.passwordSealed,
      from: input.from ?? stored.from,
    };
    const fixed = (field: MailSettingField) => current.fixedBy[field] !== undefined;
    const transport = fixed("transport") ? current.values.transport : (next.transport ?? current.values.transport);
    const host = fixed("host") ? current.values.host : next.host;
    if (transport === "smtp" && !host) return refusedAt("host", "Enter the SMTP server's host name: SMTP needs one.");
    const auth = fixed("auth") ? current.values.auth : Boolean(next.auth);
    const user = fixed("user") ? current.values.user : next.user;
    if (transport === "smtp" && auth && !user) return refusedAt("user", "Enter the user name to sign in with, or turn authentication off.");

    const changed = FIELDS.filter((field) => next[field] !== stored[field]);
    // A saved password goes only to the server it was typed for: whoever points the desk at another
    // host, port, security or user types it again, so nobody can send it elsewhere without knowing it.
    const redirected = (["host", "port", "security", "user"] as const).some((field) => changed.includes(field));
    if (redirected && stored.passwordSealed !== null && next.passwordSealed === stored.passwordSealed && !fixed("password")) {
      return refusedAt("password", "Type the password again: the saved one goes only to the server it was entered for, and the host, port, security or user changed.");
    }
    const passwordChanged = next.passwordSealed !== stored.passwordSealed;
    if (changed.length === 0 && !passwordChanged) return done({ changed: false, retriesDue: 0 });
    await writeMailSettings(trx, next, actor.id, now);
    const retriesDue = await makeRetriesDue(trx, now);
    const details = { changed, passwordChanged: passwordChanged ? "yes" : "no", retriesDue };
    await deps.audit(trx, { ...auditedBy(actor), action: "mail.settings_changed", subject: "mail_settings:1", details }, now);
    return done({ changed: true, retriesDue });
  });
}
