import type { ServiceProcess } from './processes'
import { STOPPED_LISTENING_MESSAGE } from '../runtime/server/listening'
import { CannotListenError, waitHealthy, waitListening } from './processes'

/**
 * How long to wait before starting a service that exited again, as Docker's `restart:
 * unless-stopped` does: 100 ms, doubled after each exit, at most 10 s; back to 100 ms once the
 * service has stayed up for 10 s. A service that cannot start at all is retried without flooding
 * the machine; one killed once is back in a few hundred milliseconds.
 */
export const RESTART_FIRST_MS = 100
export const RESTART_MAX_MS = 10_000
export const RESTART_RESET_AFTER_MS = 10_000

export interface SuperviseOptions {
  /** Each line of femto up's own, for the merged log. */
  log: (line: string) => void
  /** What the service needs in its environment when it starts again (`FEMTO_URL_*` of the others, the token). */
  env: Record<string, string>
  /** Called while the service is down and its port answers for another process: calls must not go there. */
  onForeign: (service: ServiceProcess) => void
  /** Called once a restarted service is healthy (its /healthz answers with its own pid). */
  onHealthy: (service: ServiceProcess) => void
}

export interface Supervisor {
  /** No more restarts: femto up is stopping. */
  stop: () => void
}

/**
 * Starts a service again each time it exits, on the port it had (its peers and the gateway know
 * it by that port), until `stop`. Every exit and restart is a line of the log.
 */
export function superviseRestarts(service: ServiceProcess, options: SuperviseOptions): Supervisor {
  const port = Number(new URL(service.origin).port)
  let stopped = false
  let delay = RESTART_FIRST_MS
  // When the running process became healthy; undefined while a restarted one is not yet: a
  // process that crashes before it is healthy must not count the time of its predecessor.
  let healthySince: number | undefined = Date.now()
  let timer: NodeJS.Timeout | undefined

  /**
   * The process is gone when it exits, or, for one that stops (a SIGTERM), once it closed its
   * listeners: the next one starts then, while it finishes its calls and its callers let go of
   * their idle connections, which would otherwise hold its calls' replacement back for seconds.
   */
  function watch(): void {
    const { child } = service
    let gone = false
    const down = (why: string): void => {
      if (gone)
        return
      gone = true
      child.off('close', onClose)
      child.off('message', onMessage)
      if (stopped)
        return
      if (healthySince !== undefined && Date.now() - healthySince >= RESTART_RESET_AFTER_MS)
        delay = RESTART_FIRST_MS
      healthySince = undefined
      const wait = delay
      delay = Math.min(delay * 2, RESTART_MAX_MS)
      options.log(`${service.name} ${why}; restarting in ${wait} ms`)
      timer = setTimeout(restart, wait)
    }
    // 'close', not 'exit': its last words on stderr (why it exited) come before this line.
    function onClose(code: number | null, signal: NodeJS.Signals | null): void {
      const refused = service.said.cannotListen
      down(refused?.code === 'EADDRINUSE'
        ? `cannot listen: port ${port} is taken by another process`
        : `exited with ${signal ? `signal ${signal}` : `code ${code}`}`)
    }
    function onMessage(message: { type?: string } | undefined): void {
      if (message?.type === STOPPED_LISTENING_MESSAGE)
        down('stopped listening (it finishes its calls meanwhile)')
    }
    if (child.exitCode !== null || child.signalCode !== null)
      return onClose(child.exitCode, child.signalCode)
    child.once('close', onClose)
    child.on('message', onMessage)
    if (service.said.stoppedListening)
      onMessage({ type: STOPPED_LISTENING_MESSAGE })
  }

  function restart(): void {
    timer = undefined
    if (stopped)
      return
    service.respawn(port, options.env)
    watch()
    const { child } = service
    // The restarted process is trusted once it says it listens and its /healthz answers with its pid.
    waitListening(service, 'femto up')
      .then(() => waitHealthy(service, 'femto up'))
      .then(() => {
        if (stopped || service.child !== child)
          return
        healthySince = Date.now()
        options.log(`${service.name} is up again (pid ${child.pid})`)
        options.onHealthy(service)
      }, (error: Error) => {
        if (error instanceof CannotListenError)
          options.onForeign(service)
        // An exit is reported (and restarted) by watch; a process that neither exits nor gets healthy is left as it is.
        if (!stopped && service.child === child && child.exitCode === null && child.signalCode === null)
          options.log(`${service.name} is running but not healthy: ${error.message.split('\n')[0]}`)
      })
  }

  watch()
  return {
    stop: () => {
      stopped = true
      clearTimeout(timer)
    },
  }
}
