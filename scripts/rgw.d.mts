// Types for scripts/rgw.mjs (plain ESM, run without a compile step), for the tests that import it.
export interface Rgw {
  endpoint: string
  region: string
  accessKeyId: string
  secretAccessKey: string
  bucket: string
  /** The temp dir holding the cluster's data, logs and config; removed by stop(). */
  dir: string
  stop(): Promise<void>
}
/** Why RGW cannot run here, or undefined when every binary it needs is on PATH. */
export function rgwUnavailable(): string | undefined
/** Installs the Debian packages when RGW is missing and this process is root; says whether RGW is there now. */
export function installRgw(): boolean
export function startRgw(options?: { timeoutMs?: number }): Promise<Rgw>
