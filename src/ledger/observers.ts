// Fans ledger events out to every registered observer (metrics today, perhaps audit tomorrow).
import type { LedgerObserver } from '../domain/ports.js'
import { CANARY_SESSION_ID } from '../domain/session.js'

export class ObserverSet implements LedgerObserver {
  private readonly observers: LedgerObserver[] = []

  add(observer: LedgerObserver): void {
    this.observers.push(observer)
  }

  commitFinished(...args: Parameters<LedgerObserver['commitFinished']>): void {
    for (const o of this.observers) o.commitFinished(...args)
  }

  /** The canary's own commits are health signals, not traffic: they are not counted as commits. */
  forSession(sessionId: string): Pick<LedgerObserver, 'commitFinished'> {
    return sessionId === CANARY_SESSION_ID ? { commitFinished: () => undefined } : this
  }

  commitsAborted(count: number): void {
    for (const o of this.observers) o.commitsAborted(count)
  }

  sessionClosed(...args: Parameters<LedgerObserver['sessionClosed']>): void {
    for (const o of this.observers) o.sessionClosed(...args)
  }

  integrityProblem(kind: Parameters<LedgerObserver['integrityProblem']>[0]): void {
    for (const o of this.observers) o.integrityProblem(kind)
  }

  backgroundError(...args: Parameters<LedgerObserver['backgroundError']>): void {
    for (const o of this.observers) o.backgroundError(...args)
  }
}
