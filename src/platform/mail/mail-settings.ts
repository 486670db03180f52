import type { Config, MailVariable } from "../../shared/config.js";
import type { Db } from "../../shared/db.js";
import { unseal, type DataKey } from "../../shared/sealing.js";
import { mailSettingsVersion, readMailSettings, type SmtpSecurity, type StoredMailSettings } from "./settings-store.js";
import type { Mailer } from "./mailer.js";
import { fileTransport, smtpTransport, type MailTransport } from "./transports.js";

/** Bound into the sealed SMTP password: a sealed value copied from another column does not open here. */
export const SMTP_PASSWORD_CONTEXT = "setting:smtp_password";

/** The mail settings in force: the environment's where set, else the console's, else the defaults. */
export interface MailSettings {
  sendingEnabled: boolean;
  transport: "file" | "smtp";
  host: string | null;
  port: number;
  security: SmtpSecurity;
  auth: boolean;
  user: string | null;
  password: string | null;
  from: string;
}

export type MailSettingField = Exclude<keyof MailSettings, "sendingEnabled">;

/** The variable that fixes each field when it is set (SMTP_USER also turns authentication on). */
export const VARIABLE_OF: Record<MailSettingField, MailVariable> = {
  transport: "MAIL_TRANSPORT",
  host: "SMTP_HOST",
  port: "SMTP_PORT",
  security: "SMTP_SECURE",
  auth: "SMTP_USER",
  user: "SMTP_USER",
  password: "SMTP_PASS",
  from: "MAIL_FROM",
};

export interface EffectiveMailSettings {
  values: MailSettings;
  /** The fields the environment sets, with the variable that does: read-only in the console. */
  fixedBy: Partial<Record<MailSettingField, MailVariable>>;
  stored: StoredMailSettings;
  /** The stored password does not open with this data key: nothing is sent by SMTP with it until it is entered again. */
  passwordUnreadable: boolean;
}

export const PASSWORD_UNREADABLE =
  "The SMTP password saved in the mail settings does not open with this data key (DATA_KEY or var/data-key): enter it again on the settings page.";

/** The environment's value where its variable is set, else the stored one, else today's default (the config's). */
export function effectiveMailSettings(config: Config, stored: StoredMailSettings, dataKey: DataKey): EffectiveMailSettings {
  const env = config.mail.fromEnvironment;
  const fixedBy: EffectiveMailSettings["fixedBy"] = {};
  for (const [field, variable] of Object.entries(VARIABLE_OF) as [MailSettingField, MailVariable][]) if (env.has(variable)) fixedBy[field] = variable;
  const smtp = config.mail.smtp;
  const pick = <T>(field: MailSettingField, fromEnv: T, fromStore: T | null, fallback: T): T => (fixedBy[field] ? fromEnv : (fromStore ?? fallback));
  const storedPassword = fixedBy.password ? { password: null, unreadable: false } : openStoredPassword(stored, dataKey);
  const envSecurity: SmtpSecurity = smtp.secure ? "tls" : "starttls";
  const values: MailSettings = {
    sendingEnabled: stored.sendingEnabled,
    transport: pick("transport", config.mail.transport, stored.transport, config.mail.transport),
    host: pick("host", smtp.host ?? null, stored.host, null),
    port: pick("port", smtp.port, stored.port, smtp.port),
    security: pick("security", envSecurity, stored.security, envSecurity),
    auth: pick("auth", true, stored.auth, false),
    user: pick("user", smtp.user ?? null, stored.user, null),
    password: fixedBy.password ? (smtp.pass ?? null) : storedPassword.password,
    from: pick("from", config.mail.from, stored.from, config.mail.from),
  };
  return { values, fixedBy, stored, passwordUnreadable: storedPassword.unreadable };
}

/** The stored password in clear (null when none is stored), or unreadable when it does not open with this key. */
function openStoredPassword(stored: StoredMailSettings, dataKey: DataKey): { password: string | null; unreadable: boolean } {
  if (stored.passwordSealed === null) return { password: null, unreadable: false };
  try {
    return { password: unseal(dataKey, stored.passwordSealed, SMTP_PASSWORD_CONTEXT), unreadable: false };
  } catch {
    return { password: null, unreadable: true };
  }
}

/** The transport the settings describe: "none" never upgrades, "starttls" upgrades when the server offers it, "tls" is implicit TLS. */
export function transportOfSettings(effective: EffectiveMailSettings, mailDir: string): MailTransport {
  const settings = effective.values;
  if (settings.transport === "file") return fileTransport(mailDir);
  if (effective.passwordUnreadable && settings.auth) throw new Error(PASSWORD_UNREADABLE);
  if (!settings.host) throw new Error("The mail settings choose SMTP but name no host: set one on the settings page.");
  const user = settings.auth ? (settings.user ?? undefined) : undefined;
  return smtpTransport({ host: settings.host, port: settings.port, secure: settings.security === "tls", ignoreTLS: settings.security === "none", user, pass: user ? (settings.password ?? undefined) : undefined });
}

interface Built {
  version: number;
  settings: EffectiveMailSettings;
  transport: MailTransport;
}

/**
 * This process's transport, built from the effective settings: each use reads the settings'
 * version (one cheap query) and rebuilds (closing the old one) only when it moved, so a save in
 * any web process reaches every process at its next delivery, without a restart.
 */
export class MailSettingsCache {
  private built: Built | null = null;
  private building: Promise<Built> | null = null;

  constructor(private readonly deps: { db: Db; config: Config; dataKey: DataKey }) {}

  async current(): Promise<Built> {
    const version = await mailSettingsVersion(this.deps.db);
    if (this.built?.version === version) return this.built;
    this.building ??= this.rebuild().finally(() => (this.building = null));
    return this.building;
  }

  /** The settings last read by this process, if any: what a mail composed now says it is from. */
  get lastRead(): MailSettings | null {
    return this.built?.settings.values ?? null;
  }

  /** Read at the start of every delivery run: it also keeps this process's From current. */
  async sendingEnabled(): Promise<boolean> {
    return (await this.current()).settings.values.sendingEnabled;
  }

  private async rebuild(): Promise<Built> {
    const stored = await readMailSettings(this.deps.db);
    const settings = effectiveMailSettings(this.deps.config, stored, this.deps.dataKey);
    const transport = unusableOr(() => transportOfSettings(settings, this.deps.config.mail.dir), settings.values.transport);
    this.built?.transport.close();
    this.built = { version: stored.version, settings, transport };
    return this.built;
  }

  close(): void {
    this.built?.transport.close();
    this.built = null;
  }
}

/** Settings that cannot make a transport still make one: each send fails with why, and the mail log shows it. */
function unusableOr(build: () => MailTransport, name: MailTransport["name"]): MailTransport {
  try {
    return build();
  } catch (err) {
    const refuse = () => Promise.reject(err instanceof Error ? err : new Error(String(err)));
    return { name, send: refuse, verify: refuse, close() {} };
  }
}

/**
 * A MailTransport that sends through the cache's current transport, from the current From:
 * the delivery task, Verify and the test message hold this one and never a stale one.
 */
export function settingsTransport(cache: MailSettingsCache, fallbackName: MailTransport["name"]): MailTransport {
  return {
    get name() {
      return cache.lastRead?.transport ?? fallbackName;
    },
    async send(message, signal) {
      const { transport, settings } = await cache.current();
      return transport.send({ ...message, from: settings.values.from }, signal);
    },
    async verify() {
      return (await cache.current()).transport.verify();
    },
    close: () => cache.close(),
  };
}

/**
 * The desk's Mailer on the settings: it sends through {@link settingsTransport}, and a mail
 * composed now says it is from the From this process last read (at its latest delivery run).
 */
export function mailerOnSettings(cache: MailSettingsCache, base: Omit<Mailer, "transport">, fallbackName: MailTransport["name"]): Mailer {
  return {
    ...base,
    get sender() {
      const from = cache.lastRead?.from;
      return from ? { ...base.sender, from } : base.sender;
    },
    transport: settingsTransport(cache, fallbackName),
  };
}
