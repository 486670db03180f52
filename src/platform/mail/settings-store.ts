import type { Db } from "../../shared/db.js";

export const SECURITY_MODES = ["none", "starttls", "tls"] as const;
export type SmtpSecurity = (typeof SECURITY_MODES)[number];

/** The one row of mail settings saved in the console; a null field is not set there. */
export interface StoredMailSettings {
  sendingEnabled: boolean;
  transport: "file" | "smtp" | null;
  host: string | null;
  port: number | null;
  security: SmtpSecurity | null;
  auth: boolean | null;
  user: string | null;
  passwordSealed: string | null;
  from: string | null;
  version: number;
  updatedAt: Date | null;
  updatedBy: string | null;
}

/** What a save writes: every editable field (the password already sealed, or null for none). */
export type MailSettingsWrite = Omit<StoredMailSettings, "version" | "updatedAt" | "updatedBy">;

interface Row {
  sending_enabled: boolean | number;
  transport: string | null;
  host: string | null;
  port: number | null;
  security: string | null;
  auth: boolean | number | null;
  username: string | null;
  password_sealed: string | null;
  from_address: string | null;
  version: number;
  updated_at: Date | string | null;
  updated_by_name: string | null;
}

/** The version of the settings row: the one cheap query a delivery run makes to know whether they changed. */
export async function mailSettingsVersion(db: Db): Promise<number> {
  const row: unknown = await db("mail_settings").where({ id: 1 }).first("version");
  return (row as { version: number } | undefined)?.version ?? 0;
}

export async function readMailSettings(db: Db): Promise<StoredMailSettings> {
  const found: unknown = await db("mail_settings as s").leftJoin("users as u", "u.id", "s.updated_by").where("s.id", 1).first("s.*", "u.username as updated_by_name");
  const row = found as Row | undefined;
  if (!row) throw new Error("the mail_settings row is missing: run the migrations");
  return {
    sendingEnabled: Boolean(row.sending_enabled),
    transport: row.transport === "file" || row.transport === "smtp" ? row.transport : null,
    host: row.host,
    port: row.port,
    security: (SECURITY_MODES as readonly string[]).includes(row.security ?? "") ? (row.security as SmtpSecurity) : null,
    auth: row.auth === null ? null : Boolean(row.auth),
    user: row.username,
    passwordSealed: row.password_sealed,
    from: row.from_address,
    version: row.version,
    updatedAt: row.updated_at === null ? null : new Date(row.updated_at),
    updatedBy: row.updated_by_name,
  };
}

/** Writes every field and moves the version on by one, so every process rebuilds its transport at its next run. */
export async function writeMailSettings(db: Db, settings: MailSettingsWrite, by: number, now: Date): Promise<void> {
  await db("mail_settings")
    .where({ id: 1 })
    .update({
      sending_enabled: settings.sendingEnabled,
      transport: settings.transport,
      host: settings.host,
      port: settings.port,
      security: settings.security,
      auth: settings.auth,
      username: settings.user,
      password_sealed: settings.passwordSealed,
      from_address: settings.from,
      version: db.raw("version + 1"),
      updated_at: now,
      updated_by: by,
    });
}
