// knex's SQLite dialect, which knex documents as a class to extend (`client:` in its config) but ships without types.
declare module "knex/lib/dialects/sqlite3/index.js" {
  import type { Knex } from "knex";

  export default class Client_SQLite3 extends Knex.Client {
    _query(connection: unknown, obj: { sql: string }): Promise<unknown>;
  }
}
