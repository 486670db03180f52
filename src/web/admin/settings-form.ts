import { isIP } from "node:net";
import { z } from "zod";
import type { EffectiveMailSettings, MailSettingField } from "../../platform/mail/mail-settings.js";
import { SECURITY_MODES } from "../../platform/mail/settings-store.js";
import { checkboxField } from "../login-form.js";

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

const emptyIsNull = (v: string) => (v === "" ? null : v);

/** "Name <address>" or a bare address, with a valid address. */
const fromField = z
  .string({ error: "Enter the sender address." })
  .trim()
  .min(1, "Enter the sender address.")
  .max(320, "Keep the sender under 320 characters.")
  .refine((v) => z.email().safeParse(/<([^>]+)>\s*$/.exec(v)?.[1] ?? v).success, "Enter an address such as desk@example.com or Support <desk@example.com>.");

const fields = {
  transport: z.enum(["file", "smtp"], { error: "Choose file or SMTP." }),
  host: z
    .string()
    .trim()
    .max(253, "Enter a host name such as smtp.example.com.")
    .refine((v) => v === "" || HOSTNAME.test(v) || isIP(v) !== 0, "Enter a host name such as smtp.example.com, or an IP address.")
    .transform(emptyIsNull),
  port: z
    .string({ error: "Enter a port from 1 to 65535." })
    .trim()
    .regex(/^\d{1,5}$/, "Enter a port from 1 to 65535.")
    .transform(Number)
    .pipe(z.number().int().min(1, "Enter a port from 1 to 65535.").max(65535, "Enter a port from 1 to 65535.")),
  security: z.enum(SECURITY_MODES, { error: "Choose none, STARTTLS or TLS." }),
  auth: checkboxField,
  user: z.string().trim().max(254, "Keep the user name under 254 characters.").transform(emptyIsNull),
  password: z.string().max(1000, "Keep the password under 1000 characters.").optional().default(""),
  removePassword: checkboxField,
  from: fromField,
};

/**
 * The settings form for these effective settings: a field the environment sets is left out,
 * so whatever a post says for it is dropped (ignored; the stored value stays as it was).
 */
export function mailSettingsForm(effective: EffectiveMailSettings) {
  const fixed = (field: MailSettingField) => effective.fixedBy[field] !== undefined;
  const shape: Partial<typeof fields> = {};
  for (const [name, schema] of Object.entries(fields) as [keyof typeof fields, (typeof fields)[keyof typeof fields]][]) {
    const field: MailSettingField = name === "removePassword" ? "password" : name;
    if (!fixed(field)) Object.assign(shape, { [name]: schema });
  }
  return z.object({ sendingEnabled: checkboxField, ...shape }) as z.ZodType<{ sendingEnabled: boolean } & Partial<{ [K in keyof typeof fields]: z.infer<(typeof fields)[K]> }>>;
}

/** What the form shows: the effective values, or what was typed after a refused post (never a password). */
export function formValues(effective: EffectiveMailSettings, typed?: Record<string, unknown>): Record<string, string | boolean> {
  const v = effective.values;
  const shown: Record<string, string | boolean> = {
    sendingEnabled: v.sendingEnabled,
    transport: v.transport,
    host: v.host ?? "",
    port: String(v.port),
    security: v.security,
    auth: v.auth,
    user: v.user ?? "",
    from: v.from,
  };
  if (!typed) return shown;
  for (const name of ["transport", "host", "port", "security", "user", "from"]) if (typeof typed[name] === "string") shown[name] = typed[name];
  for (const name of ["sendingEnabled", "auth"]) shown[name] = typed[name] !== undefined;
  return shown;
}
