import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleHandler } from '../../bench/bundles.ts';
import { bundlesAwsSdk } from '../../lib/awsSdkBundling.ts';
import { TaskFunction } from '../../lib/constructs/TaskFunction.ts';

describe('Function: bundleHandler', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rotor-bench-bundling-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The CDK's bundle of each TaskFunction in `dir/cdk.out`, by the handler its source map names. */
  async function synthesizedBundles(): Promise<Map<string, { code: string; sources: string[] }>> {
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
    new TaskFunction(stack, 'CheckGrace', {
      handler: 'check-grace',
      description: 'a handler kept on the runtime SDK',
      table,
      tableAccess: ['dynamodb:GetItem'],
      tokenPrefix: 'rtr_',
      bundleAwsSdk: false,
    });
    const assembly = app.synth();
    const bundles = new Map<string, { code: string; sources: string[] }>();
    for (const name of await readdir(assembly.directory)) {
      if (!name.startsWith('asset.')) continue;
      const code = await readFile(path.join(assembly.directory, name, 'index.mjs'), 'utf8');
      const map = JSON.parse(
        await readFile(path.join(assembly.directory, name, 'index.mjs.map'), 'utf8'),
      ) as {
        sources: string[];
      };
      const handler = map.sources
        .map((source) => /lambda\/([^/]+)\/index\.ts$/.exec(source)?.[1])
        .find(Boolean);
      if (handler) bundles.set(handler, { code, sources: map.sources });
    }
    return bundles;
  }

  it('bundles a handler byte for byte as the stack does, so the bench measures what Lambda runs', async () => {
    // Prepare: TaskFunctions bundled by the CDK itself (local esbuild, no Docker).
    const cdk = await synthesizedBundles();

    // Act
    const bench = await bundleHandler('find-due-apps', path.join(dir, 'bench'));

    // Assess
    expect(cdk.size).toBe(2);
    expect(await readFile(bench.file, 'utf8')).toBe(cdk.get('find-due-apps')?.code);
  });

  it('carries the AWS SDK inside a handler the measured choice bundles, only the clients it calls, and leaves it to the runtime otherwise', async () => {
    // Prepare
    const cdk = await synthesizedBundles();
    const clientPackages = (sources: string[]) => [
      ...new Set(
        sources.flatMap((source) => /node_modules\/@aws-sdk\/(client-[a-z-]+)\//.exec(source)?.[1] ?? []),
      ),
    ];

    // An import or require of an @aws-sdk package, which only an external SDK satisfies (the SDK's own
    // error messages quote "[require(\"@aws-sdk/...\")]" as advice: not a call).
    const importsFromSdk = (code: string) =>
      /(\bfrom\s*|[^[]\bimport\(\s*|[^[]\brequire\(\s*)["']@aws-sdk\//.test(code);

    // Act
    const bundled = cdk.get('find-due-apps');
    const external = cdk.get('check-grace');

    // Assess: find-due-apps reads the registry and starts the sweep's batches: DynamoDB's and Step Functions' clients only.
    expect(bundlesAwsSdk('find-due-apps')).toBe(true);
    expect(importsFromSdk(bundled?.code ?? '')).toBe(false);
    expect(clientPackages(bundled?.sources ?? []).sort()).toEqual(['client-dynamodb', 'client-sfn']);
    // Credentials from the environment, as Lambda gives them, and none of the default chain's other sources.
    expect(
      bundled?.sources.some((source) => source.endsWith('lambda/integrations/aws/lambdaCredentials.ts')),
    ).toBe(true);
    expect(
      bundled?.sources.filter((source) =>
        /node_modules\/@aws-sdk\/(credential-provider-(node|ini|sso|process|web-identity)|nested-clients)\//.test(
          source,
        ),
      ),
    ).toEqual([]);
    expect(importsFromSdk(external?.code ?? '')).toBe(true);
    expect(clientPackages(external?.sources ?? [])).toEqual([]);
  });
});
