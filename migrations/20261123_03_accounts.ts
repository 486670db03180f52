import type { Knex } from "knex";

/** OpenPGP keys, security questions, single-use password links, and when a login's key changed. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("pgp_keys", (t) => {
    t.increments("id");
    t.integer("user_id").notNullable().references("id").inTable("users");
    t.text("armored_key").notNullable();
    t.string("fingerprint", 64).notNullable();
    t.string("algorithm", 64).notNullable();
    t.text("user_ids").notNullable(); // JSON array of the key's user IDs
    t.timestamp("key_created_at", { useTz: true }).notNullable();
    t.timestamp("expires_at", { useTz: true }).nullable();
    t.timestamp("revoked_at", { useTz: true }).nullable(); // removed or replaced on the desk
    t.integer("added_by").nullable().references("id").inTable("users");
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.index(["user_id", "revoked_at"]);
  });
  // At most one key in use per login; replaced and removed ones stay for the record.
  await knex.raw("CREATE UNIQUE INDEX pgp_keys_one_current ON pgp_keys (user_id) WHERE revoked_at IS NULL");

  await knex.schema.alterTable("users", (t) => {
    t.timestamp("key_changed_at", { useTz: true }).nullable();
  });

  await knex.schema.createTable("security_questions", (t) => {
    t.increments("id");
    t.integer("user_id").notNullable().references("id").inTable("users");
    t.integer("position").notNullable(); // 1 or 2
    t.string("question", 200).notNullable();
    t.text("answer_hash").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.unique(["user_id", "position"]);
  });

  // Single-use links: set-password (new logins, holder-started resets) and self-service reset.
  await knex.schema.createTable("reset_tokens", (t) => {
    t.increments("id");
    t.integer("user_id").notNullable().references("id").inTable("users");
    t.string("purpose", 16).notNullable(); // set_password | reset
    t.string("token_hash", 64).notNullable().unique(); // SHA-256 of the token, never the token
    t.timestamp("expires_at", { useTz: true }).notNullable();
    t.timestamp("used_at", { useTz: true }).nullable();
    t.integer("failed_answers").notNullable().defaultTo(0);
    t.integer("created_by").nullable().references("id").inTable("users");
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.index(["user_id", "purpose"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists("reset_tokens");
  await knex.schema.dropTableIfExists("security_questions");
  await knex.schema.alterTable("users", (t) => t.dropColumn("key_changed_at"));
  await knex.schema.dropTableIfExists("pgp_keys");
}
