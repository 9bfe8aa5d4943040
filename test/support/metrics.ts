import { Metrics } from '@aws-lambda-powertools/metrics';
import { ROTOR_METRICS } from '../../lambda/contract/metrics.ts';

/** One EMF log line as Powertools prints it, parsed. */
export type EmfLine = Record<string, unknown> & {
  readonly _aws: {
    readonly CloudWatchMetrics: {
      readonly Namespace: string;
      readonly Dimensions: string[][];
      readonly Metrics: { readonly Name: string; readonly Unit: string }[];
    }[];
  };
};

/**
 * Rotor's metrics as a function makes them, printing even though the tests' environment turns the
 * shared instance off (POWERTOOLS_METRICS_DISABLED, read when a Metrics is made). Inject it as a
 * dependency's `metrics` and read its lines with {@link emfLinesOf}.
 */
export function testMetrics(): Metrics {
  const before = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  try {
    return new Metrics({ namespace: ROTOR_METRICS.namespace, serviceName: ROTOR_METRICS.service });
  } finally {
    if (before === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = before;
  }
}

/** The EMF lines printed on stdout while `act` runs (everything else goes on to stdout). */
export async function emfLinesOf<T>(act: () => T | Promise<T>): Promise<{ result: T; emf: EmfLine[] }> {
  const lines: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    if (text.includes('"_aws"')) {
      lines.push(text);
      return true;
    }
    return (write as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean).call(
      process.stdout,
      chunk,
      ...rest,
    );
  }) as typeof process.stdout.write;
  try {
    const result = await act();
    return { result, emf: lines.map((line) => JSON.parse(line) as EmfLine) };
  } finally {
    process.stdout.write = write;
  }
}

/** The metric names each line publishes, in order (`['RotationsStarted']`, ...). */
export function metricNamesOf(emf: readonly EmfLine[]): string[] {
  return emf.flatMap((line) => line._aws.CloudWatchMetrics.flatMap((set) => set.Metrics.map((m) => m.Name)));
}
