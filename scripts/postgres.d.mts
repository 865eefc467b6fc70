// Types of scripts/postgres.mjs, for the tests that start a throwaway PostgreSQL.
export interface ThrowawayPostgres {
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url: string
  /** The same server's `postgres` database, to create more databases from. */
  adminUrl: string
  port: number
  pid: number | undefined
  dir: string
  stop(): Promise<void>
}
export function findPostgresBin(): string | undefined
export function postgresUnavailable(): string | undefined
export function installPostgres(): void
export function startPostgres(options?: { database?: string; log?: (line: string) => void }): Promise<ThrowawayPostgres>
export function createDatabase(adminUrl: string, name: string): Promise<string>
