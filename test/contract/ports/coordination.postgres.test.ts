// The Coordination contract with PostgreSQL's parts (object claims across replicas, the replica's recovery
// scope) beside the in-process locks: a throwaway server for this file, a fresh database per test.
import { inProcessCoordination, InProcessObjectClaims } from '../../../src/storage/in-process/coordination.js'
import { PgCollectorTurn } from '../../../src/storage/postgres/collector-turn.js'
import { PgObjectClaims } from '../../../src/storage/postgres/object-claims.js'
import { freshDatabase, openLogs, withPostgres } from '../../support/postgres.js'
import { coordinationContract } from './coordination.suite.js'

withPostgres('PostgreSQL coordination', (server) => {
  const open = openLogs()
  coordinationContract('PostgreSQL replica', async () => {
    const pg = await open(await freshDatabase(server()))
    return {
      ...inProcessCoordination(),
      objects: new PgObjectClaims(pg.run.sql, pg.replica, new InProcessObjectClaims()),
      recovery: pg.replica,
      collector: new PgCollectorTurn(pg.run.sql),
    }
  })
})
