// The tail of the log for live subscribers (GET /v1/events): each subscriber pages the log by seq after
// its own cursor and is handed entries once they have ended, stopping at the first pending one, so a
// cursor never passes an entry that could still change: resuming after it yields no gap and no repeat.
import { ShuttingDown, TooManySubscribers } from '../domain/errors.js'
import type { CommitRecord } from '../domain/model.js'
import type { CommitLog, LedgerObserver } from '../domain/ports.js'
import { CANARY_SESSION_ID } from '../domain/session.js'

export interface EventTailSettings {
  /** Streams open at once; one more is refused with TooManySubscribers. */
  maxSubscribers: number
  /**
   * How often a subscriber looks at the log without being woken. Every write path in this process wakes
   * the tail when an entry ends; the poll catches those that do not say so (the canary's, background expiry).
   */
  pollMs: number
}

export interface TailRequest {
  /** Start after this seq; without it, at the log's current end (an entry still pending there included). */
  afterSeq?: number
  /** Only this session's entries; without it every session's but the canary's. */
  sessionId?: string
}

export interface Subscription {
  /** The ended entries after the cursor, in seq order, until `end()` or the tail closes. */
  entries: AsyncIterable<CommitRecord>
  /** Ends the subscription and frees its slot; idempotent, and safe before `entries` was ever read. */
  end(): void
}

const PAGE = 100

export class EventTail {
  private generation = 0
  private readonly sleepers = new Set<() => void>()
  private readonly open = new Set<Subscription>()
  private closed = false

  constructor(private readonly log: CommitLog, private readonly settings: EventTailSettings) {}

  get subscriberCount(): number {
    return this.open.size
  }

  /** An entry may have ended: every subscriber looks at the log again now. */
  wake(): void {
    this.generation++
    for (const wake of [...this.sleepers]) wake()
  }

  /** Wakes the tail on every ending the observers hear of (commits, failures, closed sessions, recovery's aborts). */
  observer(): LedgerObserver {
    const wake = (): void => {
      this.wake()
    }
    return { commitFinished: wake, commitsAborted: wake, sessionClosed: wake, integrityProblem: () => undefined, backgroundError: () => undefined }
  }

  /** Takes a slot at once (or refuses); the entries are read as they are asked for. */
  subscribe(request: TailRequest): Subscription {
    if (this.closed) throw new ShuttingDown('the service is shutting down; reconnect to the next instance with Last-Event-ID')
    const limit = this.settings.maxSubscribers
    if (this.open.size >= limit) throw new TooManySubscribers(`all ${limit} event streams are in use; retry shortly`, { limit })
    let ended = false
    let stop: () => void = () => undefined
    const stopped = new Promise<void>((resolve) => {
      stop = resolve
    })
    const subscription: Subscription = {
      entries: this.follow(request, () => ended, stopped),
      end: () => {
        if (ended) return
        ended = true
        this.open.delete(subscription)
        stop()
      },
    }
    this.open.add(subscription)
    return subscription
  }

  /** Ends every subscription (shutdown): their streams finish and clients reconnect elsewhere. */
  close(): void {
    this.closed = true
    for (const subscription of [...this.open]) subscription.end()
  }

  private async *follow(request: TailRequest, ended: () => boolean, stopped: Promise<void>): AsyncGenerator<CommitRecord> {
    const filter = request.sessionId === undefined ? { excludeSessionId: CANARY_SESSION_ID } : { sessionId: request.sessionId }
    let cursor = request.afterSeq ?? (await this.currentEnd(request.sessionId))
    while (!ended()) {
      // Taken before the read: a wake during it makes the wait below return at once, so no ending is missed.
      const seen = this.generation
      const page = await this.log.listCommits({ ...filter, afterSeq: cursor, limit: PAGE })
      let held = false
      for (const entry of page) {
        if (entry.state === 'pending') {
          held = true
          break
        }
        if (ended()) return
        yield entry
        cursor = entry.seq
      }
      if (!held && page.length === PAGE) continue
      await this.sleep(seen, stopped)
    }
  }

  /** The end of the log as seen by this subscriber: before its first pending entry, else after its last. */
  private async currentEnd(sessionId: string | undefined): Promise<number> {
    const last = await this.log.lastSeq()
    const pending = (await this.log.pendingCommits())
      .find((p) => (sessionId === undefined ? p.sessionId !== CANARY_SESSION_ID : p.sessionId === sessionId))
    return pending === undefined ? last : Math.min(last, pending.seq - 1)
  }

  /** Until woken (or already woken since `seen`), the poll interval, or the end of the subscription. */
  private async sleep(seen: number, stopped: Promise<void>): Promise<void> {
    if (this.generation !== seen) return
    let wake: () => void = () => undefined
    const woken = new Promise<void>((resolve) => {
      wake = resolve
    })
    this.sleepers.add(wake)
    const timer = setTimeout(wake, this.settings.pollMs)
    try {
      await Promise.race([woken, stopped])
    } finally {
      clearTimeout(timer)
      this.sleepers.delete(wake)
    }
  }
}
