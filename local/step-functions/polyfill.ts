/**
 * Installs `Promise.withResolvers` (ES2024) when the runtime lacks it, as Node.js 20 does.
 *
 * aws-local-stepfunctions calls it in every Task state; without it each Task fails with
 * "Promise.withResolvers is not a function". Import this module (for its side effect) before that
 * library. On runtimes that have the function, it changes nothing.
 */

interface PromiseResolvers<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T | PromiseLike<T>) => void;
  readonly reject: (reason?: unknown) => void;
}

type WithResolvers = <T>() => PromiseResolvers<T>;

const promiseConstructor: PromiseConstructor & { withResolvers?: WithResolvers } = Promise;

if (typeof promiseConstructor.withResolvers !== 'function') {
  const withResolvers: WithResolvers = <T>() => {
    let resolve: PromiseResolvers<T>['resolve'] = () => {};
    let reject: PromiseResolvers<T>['reject'] = () => {};
    const promise = new Promise<T>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    return { promise, resolve, reject };
  };
  Object.defineProperty(Promise, 'withResolvers', {
    value: withResolvers,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
