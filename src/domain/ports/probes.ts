// Cheap checks of the storage underneath, for readiness.

export interface StorageProbes {
  /** Removes what a probe write left behind (a crash in the middle of one); only safe while no probe runs. */
  removeLeftovers(): Promise<number>
  /** A small write through the whole verified path, to prove the disk takes writes (again). */
  probeWrite(): Promise<void>
  /** Throws unless the database accepts a write transaction. */
  checkDatabase(): Promise<void>
  /**
   * Throws unless the object store answers (a HEAD of the bucket); absent where the objects are files under
   * the data dir, which checkDataDir covers.
   */
  checkObjectStore?(): Promise<void>
  /** Throws unless the data directory is writable. */
  checkDataDir(): Promise<void>
  diskSpace(): Promise<{ freeBytes: number; totalBytes: number }>
}
