/**
 * Faults a test injects into local mode, to see what Rotor does when AWS misbehaves: the next calls to
 * a stand-in answered with throttling or a 5xx, and the next invocation of a function ending as a
 * crashed Lambda after its k-th AWS call. Off by default: with nothing planned, each stand-in pays one
 * map lookup per request and no function is touched.
 */

/** The stand-ins that can be told to fail. */
export const FAULTY_SERVICES = ['dynamodb', 'secretsManager', 'stepFunctions', 'ses'] as const;
export type FaultyService = (typeof FAULTY_SERVICES)[number];

/** `throttling`: the service's own throttling error; `server-error`: a 5xx, as AWS answers an outage. */
export type ServiceFault = 'throttling' | 'server-error';

/**
 * The faults planned for this process. One instance ({@link localFaults}) is shared by every stand-in of
 * the process; the test that plans faults clears them when it is done.
 *
 * @example
 * localFaults.spare('model-observer');        // the test's own reads never fail
 * localFaults.failNext('ses', 'throttling', 4); // the next 4 SendEmail calls are throttled
 * localFaults.crashNext('notify', 1);           // the next Notify dies after its first AWS call
 */
export class FaultPlan {
  readonly #calls = new Map<FaultyService, ServiceFault[]>();
  readonly #crashes = new Map<string, number[]>();
  readonly #spared = new Set<string>();

  /** Calls signed with this access key id are never failed (a test's own look at the stand-ins). */
  public spare(accessKeyId: string): void {
    this.#spared.add(accessKeyId);
  }

  /** The next `count` calls to `service` (not spared) are answered with `fault`. */
  public failNext(service: FaultyService, fault: ServiceFault, count: number): void {
    const queue = this.#calls.get(service) ?? [];
    for (let i = 0; i < count; i += 1) queue.push(fault);
    this.#calls.set(service, queue);
  }

  /** The fault the stand-in answers this call with, if one is planned (it is used up). */
  public takeCallFault(service: FaultyService, accessKeyId: string | undefined): ServiceFault | undefined {
    if (this.#calls.size === 0) return undefined;
    if (accessKeyId !== undefined && this.#spared.has(accessKeyId)) return undefined;
    const queue = this.#calls.get(service);
    const fault = queue?.shift();
    if (queue?.length === 0) this.#calls.delete(service);
    return fault;
  }

  /**
   * The next invocation of the function whose handler folder is `handler` (e.g. `notify`) crashes after
   * its `afterCalls`-th AWS call has been answered (0: before its first), as a Lambda whose runtime dies.
   */
  public crashNext(handler: string, afterCalls: number): void {
    const plans = this.#crashes.get(handler) ?? [];
    plans.push(afterCalls);
    this.#crashes.set(handler, plans);
  }

  /** The crash planned for this invocation of `handler`, if any (it is used up). */
  public takeCrash(handler: string): number | undefined {
    if (this.#crashes.size === 0) return undefined;
    const plans = this.#crashes.get(handler);
    const afterCalls = plans?.shift();
    if (plans?.length === 0) this.#crashes.delete(handler);
    return afterCalls;
  }

  /** What is still planned, e.g. `{ ses: 2, 'crash:notify': 1 }` (for a test's report). */
  public pending(): Record<string, number> {
    return Object.fromEntries([
      ...[...this.#calls].map(([service, queue]) => [service, queue.length]),
      ...[...this.#crashes].map(([handler, plans]) => [`crash:${handler}`, plans.length]),
    ]);
  }

  /** Forgets every planned fault (the spared keys stay). */
  public clear(): void {
    this.#calls.clear();
    this.#crashes.clear();
  }
}

/** This process's fault plan, consulted by every local stand-in and by the local Lambda runtime. */
export const localFaults = new FaultPlan();

/** How an AWS JSON stand-in answers a planned fault: the error type and the HTTP status. */
export const AWS_JSON_FAULTS: Record<
  'secretsManager' | 'stepFunctions' | 'dynamodb',
  Record<ServiceFault, { readonly type: string; readonly status: number; readonly message: string }>
> = {
  secretsManager: {
    throttling: { type: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
    'server-error': {
      type: 'InternalServiceError',
      status: 500,
      message: 'An error occurred on the server side.',
    },
  },
  stepFunctions: {
    throttling: { type: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
    'server-error': { type: 'InternalFailure', status: 500, message: 'Internal service failure.' },
  },
  dynamodb: {
    throttling: {
      type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
      status: 400,
      message: 'Rate of requests exceeds the allowed throughput.',
    },
    'server-error': {
      type: 'com.amazon.coral.service#InternalFailure',
      status: 500,
      message: 'The request processing has failed because of an unknown error, exception or failure.',
    },
  },
};
