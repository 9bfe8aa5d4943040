import { describe, expect, it } from 'vitest';
import { workerArguments } from './soakWorkers.ts';

describe('npm run soak --workers W', () => {
  it('starts each worker as one process with its own seed and the soak settings (a worker never fans out again)', () => {
    const options = { seed: 41, maxCommands: 8, shrinkSeconds: 300, iam: true };

    const args = [0, 1].map((index) => workerArguments(options, index, 2_500));

    for (const [index, worker] of args.entries()) {
      expect(worker[worker.indexOf('--workers') + 1]).toBe('1');
      expect(worker[worker.indexOf('--seed') + 1]).toBe(String(41 + index));
      expect(worker[worker.indexOf('--runs') + 1]).toBe('2500');
      expect(worker).toContain('--json');
      expect(worker).toContain('--iam');
    }
  });
});
