// Types of scripts/cluster.mjs, for the tests and benchmarks that start a cluster behind nginx.
import type { ThrowawayPostgres } from './postgres.mjs'
import type { Rgw } from './rgw.mjs'

export interface ClusterReplica {
  index: number
  /** http://127.0.0.1:<port>, the replica itself (not through the balancer). */
  url: string
  /** The current process's pid (a new one after restart). */
  pid: number
  dataDir: string
  /** Its stdout and stderr, appended across restarts. */
  logFile: string
}

export interface Cluster {
  /** The balancer (nginx): http://127.0.0.1:<port>. */
  url: string
  postgresUrl: string
  objectStoreUrl: string
  /** Temp dir with nginx.conf, the replicas' data dirs and every log; removed by stop(). */
  dir: string
  nginxPid: number
  readonly replicas: ClusterReplica[]
  /** SIGKILL to replica `index`; resolves once it exited. */
  kill(index: number): Promise<void>
  /** Starts replica `index` again (killing it first if it runs) on the same port, data dir and env; resolves once /health/ready is 200. */
  restart(index: number): Promise<void>
  /** The last 64 KiB of replica `index`'s log. */
  logOf(index: number): string
  /** nginx, then every replica (SIGTERM), then PostgreSQL and RGW if this cluster started them; removes `dir`. */
  stop(): Promise<void>
}

export interface ClusterOptions {
  replicas?: number
  /** LOG_URL of every replica; without it (or objectStoreUrl) PostgreSQL and RGW are started too. */
  postgresUrl?: string
  objectStoreUrl?: string
  /** Overrides of the replicas' environment (after PORT, HOST, DATA_DIR, LOG_URL, OBJECT_STORE_URL, REPLICA_SWEEP_INTERVAL_MS=5000). */
  env?: Record<string, string>
  /** The balancer on basePort, replica i on basePort + 1 + i; free ports when absent. */
  basePort?: number
  /** The replicas' LOG_LEVEL (warn by default). */
  logLevel?: string
}

export interface BackingServices {
  postgres: ThrowawayPostgres
  rgw: Rgw
  postgresUrl: string
  objectStoreUrl: string
  /** A new database on the same PostgreSQL and a new prefix of the same bucket. */
  fresh(): Promise<{ postgresUrl: string; objectStoreUrl: string }>
  stop(): Promise<void>
}

export function findNginx(): string | undefined
export function clusterUnavailable(options?: { needPostgres?: boolean; needRgw?: boolean }): string | undefined
export function objectStoreUrlOf(rgw: Pick<Rgw, 'endpoint' | 'region' | 'accessKeyId' | 'secretAccessKey' | 'bucket'>, prefix?: string): string
export function startBackingServices(options?: { log?: (line: string) => void }): Promise<BackingServices>
export function startCluster(options?: ClusterOptions): Promise<Cluster>
