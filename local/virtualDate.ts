/**
 * Local mode's time, shared by every thread of the process: virtual time is the real time plus one
 * offset kept in shared memory. The main thread's {@link VirtualClock} moves the offset; each local
 * Lambda's worker thread reads the same cell, so every handler, stand-in and test sees one story and
 * no thread's clock drifts from another's.
 */

/** The offset in milliseconds (a Float64Array of one element over shared memory). */
export type SharedOffset = Float64Array;

/** The process's offset cell; worker threads get it through their `workerData`. */
export const PROCESS_OFFSET: SharedOffset = new Float64Array(new SharedArrayBuffer(8));

const installed = new WeakSet<object>();

/**
 * Replaces `Date` in this thread with one that reads real time plus `offset[0]`; returns a function
 * that gives the real `Date` back. Only `Date` changes: timers stay real.
 */
export function installVirtualDate(offset: SharedOffset): () => void {
  const RealDate = globalThis.Date;
  if (installed.has(RealDate)) throw new Error('a virtual Date is installed already');
  const now = () => RealDate.now() + (offset[0] ?? 0);
  function VirtualDate(this: unknown, ...args: unknown[]): unknown {
    // Called without `new`, Date gives the current time as a string.
    if (new.target === undefined) return new RealDate(now()).toString();
    return args.length === 0
      ? new RealDate(now())
      : new RealDate(...(args as ConstructorParameters<DateConstructor>));
  }
  // Dates made before and after the switch are instances of both.
  VirtualDate.prototype = RealDate.prototype;
  Object.assign(VirtualDate, { now, parse: RealDate.parse, UTC: RealDate.UTC });
  installed.add(VirtualDate);
  globalThis.Date = VirtualDate as unknown as DateConstructor;
  return () => {
    globalThis.Date = RealDate;
  };
}
