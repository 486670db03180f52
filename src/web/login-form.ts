import { z } from "zod";
import { isPrimaryUsername } from "../identity/index.js";

/** The fields of a login that the admin console and the primary holder's console share. */
export const displayNameField = z.string({ error: "Enter a name." }).trim().min(1, "Enter a name.").max(200, "Names are at most 200 characters.");
export const emailField = z
  .string({ error: "Enter an email address." })
  .trim()
  .min(1, "Enter an email address.")
  .max(254, "Email addresses are at most 254 characters.")
  .pipe(z.email({ error: "Enter a valid email address." }));
export const usernameField = z
  .string({ error: "Enter a username." })
  .trim()
  .min(2, "Usernames have at least 2 characters.")
  .max(64, "Usernames are at most 64 characters.")
  .regex(/^[A-Za-z0-9._@-]+$/, "Usernames use letters, digits, dots, dashes, underscores and @ only.");
/** A checkbox: present ("1", "on", "true") is true, absent is false. */
export const checkboxField = z
  .union([z.literal("1"), z.literal("on"), z.literal("true")])
  .optional()
  .transform((v) => v !== undefined);

/** A primary holder's new secondary login: the primary's username form is named at once, with the other fields. */
export const newCustomerLoginForm = z.object({
  username: usernameField.refine((u) => !isPrimaryUsername(u), "Usernames of 3 letters and 4 digits are kept for primary logins."),
  display_name: displayNameField,
  email: emailField,
  can_open_cases: checkboxField,
});
