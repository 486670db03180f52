import type { Knex } from "knex";

/**
 * Passkeys (WebAuthn credentials, issue 13 item 2), several per login. A public key is no
 * secret, so it is stored as it comes (base64url of its COSE form). `sign_count` is the
 * authenticator's counter at its last use: an assertion whose counter goes back is refused
 * (a cloned key). `device_type` and `backed_up` are what the authenticator said
 * (single-device or multi-device; synced to a provider's cloud or not). The challenge of a
 * ceremony lives in the session only.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("passkeys", (t) => {
    t.increments("id").primary();
    t.integer("user_id").notNullable().references("id").inTable("users").onDelete("CASCADE");
    t.string("credential_id", 1400).notNullable().unique();
    t.text("public_key").notNullable();
    t.bigInteger("sign_count").notNullable().defaultTo(0);
    t.string("transports", 200).notNullable().defaultTo("");
    t.string("name", 64).notNullable();
    t.string("device_type", 16).notNullable();
    t.boolean("backed_up").notNullable().defaultTo(false);
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("last_used_at", { useTz: true }).nullable();
    t.index(["user_id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("passkeys");
}
