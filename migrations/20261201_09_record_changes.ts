import type { Knex } from "knex";

/**
 * When a login first got a password (a support link is only for a login that never had one),
 * and the record changes a takeover starts with: a login's registered email, its OpenPGP key,
 * a contact's phone or email. Each change is mailed to the old address and the account's
 * records with single-use objection links; the reset's recent-change rule reads this table.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("users", (t) => {
    t.timestamp("activated_at", { useTz: true }).nullable();
  });
  // A login that has or had a password was activated then (clearing one keeps password_changed_at).
  await knex("users").whereNotNull("password_changed_at").update({ activated_at: knex.ref("password_changed_at") });
  await knex("users").whereNull("activated_at").whereNotNull("password_hash").update({ activated_at: knex.ref("created_at") });

  await knex.schema.createTable("record_changes", (t) => {
    t.increments("id");
    t.integer("account_id").nullable().references("id").inTable("accounts"); // null for a staff login
    t.string("what", 16).notNullable(); // email | key | phone | contact_email
    t.integer("user_id").nullable().references("id").inTable("users"); // the login whose email or key changed
    t.integer("contact_id").nullable(); // the contact whose phone or email changed (no FK: contacts can be removed)
    t.string("subject_name", 200).notNullable(); // the login's username or the contact's name, as it was
    t.string("before_value", 254).nullable();
    t.string("after_value", 254).nullable();
    t.integer("changed_by").nullable().references("id").inTable("users");
    t.string("changed_by_name", 64).nullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("objected_at", { useTz: true }).nullable();
    t.string("objected_by", 254).nullable(); // the address whose link was used
    t.integer("objection_cleared_by").nullable().references("id").inTable("users");
    t.timestamp("objection_cleared_at", { useTz: true }).nullable();
    t.text("objection_clear_note").nullable();
    t.index(["account_id", "created_at"]);
    t.index(["user_id", "created_at"]);
  });

  await knex.schema.createTable("record_change_tokens", (t) => {
    t.increments("id");
    t.integer("record_change_id").notNullable().references("id").inTable("record_changes");
    t.string("recipient", 254).notNullable();
    t.string("token_hash", 64).notNullable().unique(); // SHA-256 of the token, never the token
    t.timestamp("expires_at", { useTz: true }).notNullable();
    t.timestamp("used_at", { useTz: true }).nullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
  });

  // The changes recorded so far only as times, so a recent one still counts after the upgrade
  // (a login's email "changed" at its creation is no change).
  await knex.raw(`INSERT INTO record_changes (account_id, what, user_id, subject_name, created_at)
    SELECT account_id, 'email', id, username, email_changed_at FROM users WHERE role = 'primary' AND email_changed_at > created_at`);
  await knex.raw(`INSERT INTO record_changes (account_id, what, user_id, subject_name, created_at)
    SELECT account_id, 'key', id, username, key_changed_at FROM users WHERE role = 'primary' AND key_changed_at IS NOT NULL`);
  await knex.raw(`INSERT INTO record_changes (account_id, what, contact_id, subject_name, after_value, created_at)
    SELECT account_id, 'phone', id, name, phone, phone_changed_at FROM contacts WHERE phone_changed_at IS NOT NULL`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists("record_change_tokens");
  await knex.schema.dropTableIfExists("record_changes");
  await knex.schema.alterTable("users", (t) => t.dropColumn("activated_at"));
}
