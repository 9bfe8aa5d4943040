import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { int, minLength, object, string, url } from 'zod/mini';

/**
 * Where a running local Rotor (`npm start`) tells the CLI how to reach it: `$ROTOR_LOCAL_STATE`, or
 * `rotor-local/state.json` in the temp directory. It holds local-only credentials, so it is written
 * for this user only.
 */
export const LOCAL_STATE_FILE = localStateFile(process.env);

/** The state file's path for an environment (`ROTOR_LOCAL_STATE`, else the default). */
export function localStateFile(env: NodeJS.ProcessEnv): string {
  return env.ROTOR_LOCAL_STATE || path.join(os.tmpdir(), 'rotor-local', 'state.json');
}

const localStateSchema = object({
  apiUrl: url(),
  region: string().check(minLength(1)),
  accessKeyId: string().check(minLength(1)),
  secretAccessKey: string().check(minLength(1)),
  mailViewerUrl: url(),
  pid: int(),
});

/** What `rotor --local` needs: the local operator API, its credentials and the mail viewer. */
export interface LocalState {
  readonly apiUrl: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly mailViewerUrl: string;
  /** The process of the running local Rotor. */
  readonly pid: number;
}

/**
 * Reads the local-mode state file; `undefined` when there is none. A file that is not what
 * {@link writeLocalState} writes fails with a message naming the file.
 */
export async function readLocalState(file: string = LOCAL_STATE_FILE): Promise<LocalState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`the local state file ${file} is not JSON; stop local mode and start it again`);
  }
  const result = localStateSchema.safeParse(parsed);
  if (!result.success) {
    const field = result.error.issues[0]?.path.join('.') || '(root)';
    throw new Error(`the local state file ${file} has a bad or missing "${field}"; start local mode again`);
  }
  return result.data;
}

/** Writes the local-mode state file (readable by this user only). */
export async function writeLocalState(state: LocalState, file: string = LOCAL_STATE_FILE): Promise<void> {
  const checked = localStateSchema.parse(state);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o600 });
}

/** Removes the local-mode state file, if there is one (when local mode stops). */
export async function clearLocalState(file: string = LOCAL_STATE_FILE): Promise<void> {
  await rm(file, { force: true });
}
