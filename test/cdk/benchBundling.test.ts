import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleHandler } from '../../bench/bundles.ts';
import { TaskFunction } from '../../lib/constructs/TaskFunction.ts';

describe('Function: bundleHandler', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rotor-bench-bundling-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('bundles a handler byte for byte as the stack does, so the bench measures what Lambda runs', async () => {
    // Prepare: a TaskFunction bundled by the CDK itself (local esbuild, no Docker).
    const app = new App({ outdir: path.join(dir, 'cdk.out') });
    const stack = new Stack(app, 'BenchBundling', {
      env: { account: '123456789012', region: 'eu-central-1' },
    });
    const table = new Table(stack, 'Registry', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    new TaskFunction(stack, 'FindDueApps', {
      handler: 'find-due-apps',
      description: 'bench bundling check',
      table,
      tableAccess: ['dynamodb:Query'],
      queryIndexes: true,
      tokenPrefix: 'rtr_',
    });
    const assembly = app.synth();
    const assetDirs = (await readdir(assembly.directory)).filter((name) => name.startsWith('asset.'));
    expect(assetDirs).toHaveLength(1);
    const cdkBundle = await readFile(
      path.join(assembly.directory, assetDirs[0] as string, 'index.mjs'),
      'utf8',
    );

    // Act
    const bench = await bundleHandler('find-due-apps', path.join(dir, 'bench'));

    // Assess
    expect(await readFile(bench.file, 'utf8')).toBe(cdkBundle);
  });
});
