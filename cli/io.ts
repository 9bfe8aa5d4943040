/** How to reach the operator API: the global options. */
export interface ConnectionOptions {
  readonly apiUrl?: string;
  readonly local?: boolean;
  readonly region?: string;
  readonly stack?: string;
}

export interface ApiRequest {
  readonly query?: Record<string, string>;
  readonly body?: unknown;
}

/** The operator API, signed. */
export interface ApiClient {
  readonly url: string;
  request<T = Record<string, unknown>>(method: string, path: string, request?: ApiRequest): Promise<T>;
}

/** Where the CLI writes and what it reads from its surroundings; tests pass their own. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stdout is a terminal (tables get colours only then, and never with NO_COLOR). */
  readonly isTTY: boolean;
  /** Makes the API client for a command; the default finds the API and signs with SigV4. */
  readonly connect: (options: ConnectionOptions) => Promise<ApiClient>;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => Date;
  /** Reads standard input to its end (`rotor submit --token-stdin`). @default process.stdin */
  readonly readStdin?: () => Promise<string>;
}

/** Bad usage: exit code 2, one line on stderr, and no request was made. */
export class UsageError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The action was refused or failed: exit code 1. */
export class CommandFailedError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CommandFailedError';
  }
}
