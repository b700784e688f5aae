import type { Call } from './call-record'
import { now } from './clock'
import { errorOutcome } from './outcome'
import { answer } from './respond'

/**
 * A stage of a call waiting for its deadline. Calls with the same `timeoutMs` reach their
 * deadlines in the order they started, so each `timeoutMs` has one queue, oldest first, and one
 * Node timer, armed for the oldest deadline. A timer of its own per call (setTimeout, then
 * clearTimeout a few µs later) cost the service ~3 µs of CPU per call under load: Node creates
 * and drops a timer list, and its heap entry, whenever the only timer of that duration goes
 * (`unenroll` and `insert` in a `--cpu-prof` of `add.js` under wrk).
 */
export interface Deadline {
  readonly call: Call
  readonly what: string
  readonly at: number
  queue: Queue | undefined
  prev: Deadline | undefined
  next: Deadline | undefined
}

interface Queue {
  readonly ms: number
  head: Deadline | undefined
  tail: Deadline | undefined
  /** Armed for the head's deadline, or a later one: it re-arms when it fires early. */
  timer: ReturnType<typeof setTimeout> | undefined
}

const queues = new Map<number, Queue>()

/**
 * The function's `timeoutMs` over one stage of a call (its auth hook, its validator, the function
 * itself): past it the caller gets 504 TIMEOUT, and the call's signal aborts.
 */
export function startTimeout(call: Call, what: string): void {
  const { timeoutMs } = call.fn
  if (timeoutMs == null)
    return
  let queue = queues.get(timeoutMs)
  if (!queue)
    queues.set(timeoutMs, queue = { ms: timeoutMs, head: undefined, tail: undefined, timer: undefined })
  const deadline: Deadline = { call, what, at: now() + timeoutMs, queue, prev: queue.tail, next: undefined }
  if (queue.tail)
    queue.tail.next = deadline
  else
    queue.head = deadline
  queue.tail = deadline
  call.timer = deadline
  if (!queue.timer)
    queue.timer = setTimeout(expire, timeoutMs, queue)
  // A waiting call keeps the process alive, as its own timer did; an empty queue does not (below).
  else if (queue.head === deadline)
    queue.timer.ref()
}

export function stopTimeout(call: Call): void {
  const deadline = call.timer
  call.timer = undefined
  if (deadline)
    remove(deadline)
}

function remove(deadline: Deadline): void {
  const queue = deadline.queue
  if (!queue)
    return
  deadline.queue = undefined
  if (deadline.prev)
    deadline.prev.next = deadline.next
  else
    queue.head = deadline.next
  if (deadline.next)
    deadline.next.prev = deadline.prev
  else
    queue.tail = deadline.prev
  deadline.prev = deadline.next = undefined
  // The timer stays for the next call (it re-arms or ends when it fires), but holds nothing up meanwhile.
  if (!queue.head)
    queue.timer?.unref()
}

function expire(queue: Queue): void {
  queue.timer = undefined
  const at = now()
  // Timers may fire up to a millisecond before what now() counts as the deadline.
  while (queue.head && queue.head.at <= at + 1) {
    const expired = queue.head
    const { call, what } = expired
    remove(expired)
    if (call.timer === expired)
      call.timer = undefined
    const message = `${what} ran past its timeout of ${queue.ms} ms`
    answer(call, errorOutcome('TIMEOUT', message))
    call.context?.abort(new Error(message))
  }
  if (queue.head && !queue.timer)
    queue.timer = setTimeout(expire, Math.max(1, Math.ceil(queue.head.at - at)), queue)
}
