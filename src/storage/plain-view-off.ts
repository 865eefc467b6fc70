// The plain view switched off: a ledger whose objects live elsewhere (or nowhere a tool could read
// them) shows nothing as files; verify does not look for any.
import type { PlainView, PreparedFile, StagedContent, FlushFailure, ViewFile } from '../domain/ports.js'

export class PlainViewOff implements PlainView {
  readonly isOn = false

  locationOf(sessionId: string, name: string): string {
    return `sessions/${sessionId}/${name}`
  }

  async show(): Promise<void> {}

  async prepare(sessionId: string, name: string, content: { sha256: string }): Promise<PreparedFile> {
    return { sessionId, name, sha256: content.sha256 }
  }

  async showPrepared(): Promise<void> {}

  async discardPrepared(): Promise<void> {}

  async showStaged(_sessionId: string, _name: string, _staged: StagedContent): Promise<void> {}

  async flush(): Promise<FlushFailure[]> {
    return []
  }

  async remove(): Promise<void> {}

  async removeStray(): Promise<void> {}

  async digestOf(): Promise<string | undefined> {
    return undefined
  }

  // eslint-disable-next-line require-yield -- an empty view has nothing to read
  async *read(): AsyncGenerator<Uint8Array> {
    return
  }

  async listFiles(): Promise<ViewFile[]> {
    return []
  }

  async listSessions(): Promise<string[]> {
    return []
  }

  async removeLeftovers(): Promise<number> {
    return 0
  }
}
