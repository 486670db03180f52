import type { Knex } from "knex";

/** The tables sign-in needs: accounts, logins, contacts, password history, sessions, rate limits, audit. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("accounts", (t) => {
    t.increments("id");
    t.string("code", 3).notNullable().unique();
    t.string("name", 200).notNullable();
    t.string("status", 16).notNullable().defaultTo("active");
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable();
  });

  await knex.schema.createTable("users", (t) => {
    t.increments("id");
    t.integer("account_id").nullable().references("id").inTable("accounts");
    t.string("username", 64).notNullable();
    t.string("role", 16).notNullable();
    t.string("display_name", 200).notNullable();
    t.string("email", 254).nullable();
    t.timestamp("email_changed_at", { useTz: true }).nullable();
    t.text("password_hash").nullable();
    t.timestamp("password_changed_at", { useTz: true }).nullable();
    t.boolean("must_change_password").notNullable().defaultTo(false);
    t.timestamp("temp_password_expires_at", { useTz: true }).nullable();
    t.integer("failed_sign_ins").notNullable().defaultTo(0);
    t.timestamp("locked_until", { useTz: true }).nullable();
    t.integer("session_epoch").notNullable().defaultTo(0);
    t.boolean("can_open_cases").notNullable().defaultTo(false);
    t.timestamp("disabled_at", { useTz: true }).nullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable();
    t.index(["account_id"]);
    // The staff list (agents and admins) is read on every desk page; customers far outnumber staff.
    t.index(["role"]);
  });
  // Usernames are unique whatever their case; each account has at most one primary login.
  await knex.raw("CREATE UNIQUE INDEX users_username_ci ON users (lower(username))");
  await knex.raw("CREATE UNIQUE INDEX users_one_primary ON users (account_id) WHERE role = 'primary'");

  await knex.schema.createTable("contacts", (t) => {
    t.increments("id");
    t.integer("account_id").notNullable().references("id").inTable("accounts");
    t.integer("user_id").nullable().references("id").inTable("users");
    t.string("name", 200).notNullable();
    t.string("kind", 16).notNullable();
    t.string("email", 254).nullable();
    t.string("phone", 32).nullable();
    t.timestamp("phone_changed_at", { useTz: true }).nullable();
    t.boolean("authorised_for_support").notNullable().defaultTo(false);
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable();
    t.index(["account_id"]);
  });

  await knex.schema.createTable("password_history", (t) => {
    t.increments("id");
    t.integer("user_id").notNullable().references("id").inTable("users");
    t.text("password_hash").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.index(["user_id", "id"]);
  });

  // The express-session store's table (connect-session-knex); sid holds a SHA-256 of the session id.
  await knex.schema.createTable("sessions", (t) => {
    t.string("sid", 64).primary();
    t.json("sess").notNullable();
    t.timestamp("expired", { useTz: true }).notNullable().index();
  });

  // Rate-limit counters shared by every web process.
  await knex.schema.createTable("rate_limits", (t) => {
    t.string("key", 200).primary();
    t.integer("hits").notNullable();
    t.bigInteger("reset_at_ms").notNullable();
  });

  // Append-only; each row's hash covers its content and the previous row's hash.
  await knex.schema.createTable("audit_log", (t) => {
    t.integer("seq").primary();
    t.timestamp("at", { useTz: true }).notNullable();
    t.integer("actor_id").nullable();
    t.string("actor", 64).nullable();
    t.string("ip", 64).nullable();
    t.string("action", 64).notNullable();
    t.string("subject", 200).nullable();
    t.text("details").notNullable();
    t.string("prev_hash", 64).notNullable();
    t.string("hash", 64).notNullable();
    t.index(["action", "seq"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ["audit_log", "rate_limits", "sessions", "password_history", "contacts", "users", "accounts"]) {
    await knex.schema.dropTableIfExists(table);
  }
}
