import { z } from "zod";
import { ROLES } from "../../shared/roles.js";
import { isRowId } from "../../shared/row-ids.js";
import { checkboxField, displayNameField, emailField, usernameField } from "../login-form.js";
import { CONTACT_KINDS, parsePhone } from "../../accounts/index.js";

export const accountForm = z.object({
  code: z.string({ error: "Enter a code." }).trim().regex(/^[A-Za-z]{3}$/, "The code is 3 letters, like ACM."),
  name: z.string({ error: "Enter a name." }).trim().min(1, "Enter the account's name.").max(200, "Names are at most 200 characters."),
});

export const renameForm = accountForm.pick({ name: true });

export const newLoginForm = z.object({
  role: z.enum(ROLES, { error: "Choose a role." }),
  username: usernameField,
  display_name: displayNameField,
  email: emailField,
  can_open_cases: checkboxField,
});

export const editLoginForm = z.object({
  display_name: displayNameField,
  email: emailField,
  can_open_cases: checkboxField,
});

const optionalText = (max: number, message: string) =>
  z
    .string()
    .trim()
    .max(max, message)
    .optional()
    .transform((v) => (v ? v : null));

/** A contact as the accounts service takes it (its `ContactInput`). */
export const contactForm = z
  .object({
    name: z.string({ error: "Enter the contact's name." }).trim().min(1, "Enter the contact's name.").max(200, "Names are at most 200 characters."),
    kind: z.enum(CONTACT_KINDS, { error: "Choose primary or secondary contact." }),
    email: optionalText(254, "Email addresses are at most 254 characters.").pipe(z.email({ error: "Enter a valid email address." }).nullable()),
    phone: optionalText(40, "That phone number is too long.").transform((v, ctx) => {
      if (v === null) return null;
      const phone = parsePhone(v);
      if (!phone.ok) ctx.addIssue({ code: "custom", message: phone.problem });
      return phone.ok ? phone.e164 : null;
    }),
    authorised_for_support: checkboxField,
    user_id: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (!v) return null;
        if (!isRowId(v)) ctx.addIssue({ code: "custom", message: "Choose a login of this account, or none." });
        return Number(v);
      }),
  })
  .transform(({ authorised_for_support, user_id, ...rest }) => ({ ...rest, authorisedForSupport: authorised_for_support, userId: user_id }));
