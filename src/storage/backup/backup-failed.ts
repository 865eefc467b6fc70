// Why a backup stopped, said so that the operator can act; a backup that throws this left no manifest.
import type { LeftOut } from './manifest.js'

export class BackupFailed extends Error {
  constructor(
    message: string,
    /** The objects that made it fail, when that is the reason. */
    readonly leftOut: LeftOut[] = [],
  ) {
    super(message)
    this.name = 'BackupFailed'
  }
}
