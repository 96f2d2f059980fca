/**
 * The store floor: every database this project opens (run ledger, response cache, rate limiter, the
 * sweep queue's tables) is opened here. It imports only Node, better-sqlite3, pg/synckit and src/util.
 *
 *   const conn = openStore(ledgerLocation());   // a file, ":memory:" or a postgres:// URL
 *   conn.dialect.name;                          // "sqlite" | "postgres"
 *   conn.close();                               // the connection closes with its last reference
 */
export { BACKENDS, backendOf } from "./backends.js";
export type { Backend, Dialect, DialectName, RunInfo, SqlDriver, SqlValue } from "./driver.js";
export {
  cacheLocation,
  defaultLedgerPath,
  isFileLocation,
  isPostgresUrl,
  ledgerLocation,
  normalizeLocation,
} from "./location.js";
export { type Connection, type OpenStoreOptions, openConnections, openStore } from "./open.js";
export { PostgresError, postgresDialect } from "./postgres.js";
export { sqliteDialect } from "./sqlite.js";
