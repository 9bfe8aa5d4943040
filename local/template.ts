import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HANDLER_TAG } from '../lib/handlerTag.ts';
import { sourceHash } from './lambda/bundles.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A CloudFormation template, as much of it as local mode reads. */
export interface Template {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/** Where the local stand-ins put what the template names by reference. */
export interface LocalNames {
  readonly region: string;
  readonly accountId: string;
  readonly tableName: string;
}

export interface LocalFunction {
  readonly logicalId: string;
  readonly arn: string;
  /** The folder under `lambda/` with its `index.ts`. */
  readonly handler: string;
  readonly environment: Record<string, string>;
}

export interface LocalStateMachineDefinition {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly definition: object;
}

/**
 * Synthesizes the Rotor stack as `cdk synth` does, without bundling (local mode runs the handler
 * modules themselves) and without the synth-time checks (`cdk synth` and the CDK tests run those),
 * and returns its template.
 */
export async function synthesizeTemplate(rotor: Record<string, unknown> = {}): Promise<Template> {
  const context = {
    rotor: { region: 'eu-central-1', senderAddress: 'rotor@example.com', ...rotor },
    'aws:cdk:bundling-stacks': [],
  };
  // The template follows from the stack's code, its dependencies and the settings: a process, and the
  // next one, synthesize each once (aws-cdk-lib alone takes seconds to load).
  const key = sourceHash(
    ['bin', 'lib', 'lambda'].map((folder) => path.join(ROOT, folder)),
    { context, lock: readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8') },
  );
  const cache = path.join(ROOT, 'node_modules', '.cache', 'rotor-templates', `${key}.json`);
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8')) as Template;

  const { buildRotorApp } = await import('../lib/app.ts');
  const outdir = mkdtempSync(path.join(tmpdir(), 'rotor-synth-'));
  try {
    const { app, stack } = buildRotorApp({ outdir, context }, { checks: false });
    const template = app.synth().getStackByName(stack.stackName).template as Template;
    mkdirSync(path.dirname(cache), { recursive: true });
    writeFileSync(`${cache}.${process.pid}.tmp`, JSON.stringify(template));
    renameSync(`${cache}.${process.pid}.tmp`, cache);
    return template;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** A function's name: the FunctionName the template gives it, else (as local mode names things) its logical id. */
function functionNameOf(logicalId: string, template: Template): string {
  const name = template.Resources[logicalId]?.Properties?.FunctionName;
  return typeof name === 'string' ? name : logicalId;
}

/** The local ARN of a resource, by its type; local mode names each after its logical id. */
function localArn(template: Template, logicalId: string, names: LocalNames): string {
  const { region, accountId } = names;
  switch (template.Resources[logicalId]?.Type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${region}:${accountId}:function:${functionNameOf(logicalId, template)}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${region}:${accountId}:stateMachine:${logicalId}`;
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${accountId}:role/${logicalId}`;
    case 'AWS::Logs::LogGroup':
      return `arn:aws:logs:${region}:${accountId}:log-group:${logicalId}:*`;
    case 'AWS::DynamoDB::Table':
      return `arn:aws:dynamodb:${region}:${accountId}:table/${names.tableName}`;
    default:
      return `arn:aws:local:${region}:${accountId}:${logicalId}`;
  }
}

/**
 * Replaces CloudFormation intrinsics (Ref, Fn::GetAtt …Arn, Fn::Join, the pseudo parameters) with the
 * values they take in local mode.
 */
export function resolveIntrinsics(value: unknown, template: Template, names: LocalNames): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, template, names));
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) {
    const ref = String(object.Ref);
    if (ref === 'AWS::Region') return names.region;
    if (ref === 'AWS::AccountId') return names.accountId;
    if (ref === 'AWS::Partition') return 'aws';
    if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
    const resource = template.Resources[ref];
    if (!resource) throw new Error(`the template has no resource ${ref}`);
    if (resource.Type === 'AWS::DynamoDB::Table') return names.tableName;
    if (resource.Type === 'AWS::Lambda::Function') return functionNameOf(ref, template);
    return localArn(template, ref, names);
  }
  if ('Fn::GetAtt' in object) {
    const [logicalId, attribute] = object['Fn::GetAtt'] as [string, string];
    const resource = template.Resources[logicalId];
    if (!resource) throw new Error(`the template has no resource ${logicalId}`);
    if (attribute !== 'Arn')
      throw new Error(`local mode cannot resolve Fn::GetAtt ${logicalId}.${attribute}`);
    return localArn(template, logicalId, names);
  }
  if ('Fn::Select' in object) {
    const [index, list] = object['Fn::Select'] as [number, unknown];
    const items = resolveIntrinsics(list, template, names);
    if (!Array.isArray(items)) throw new Error('local mode cannot resolve an Fn::Select of a non-list');
    return items[Number(index)];
  }
  if ('Fn::Split' in object) {
    const [separator, text] = object['Fn::Split'] as [string, unknown];
    return String(resolveIntrinsics(text, template, names)).split(separator);
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => String(resolveIntrinsics(part, template, names))).join(separator);
  }
  return Object.fromEntries(
    Object.entries(object).map(([key, item]) => [key, resolveIntrinsics(item, template, names)]),
  );
}

/** Every Rotor Lambda in the template, with its handler folder (from its tag) and resolved environment. */
export function functionsOf(template: Template, names: LocalNames): LocalFunction[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .flatMap(([logicalId, resource]) => {
      const tags = (resource.Properties?.Tags ?? []) as { Key: string; Value: string }[];
      const handler = tags.find((tag) => tag.Key === HANDLER_TAG)?.Value;
      if (!handler) return [];
      const variables =
        (resource.Properties?.Environment as { Variables?: object } | undefined)?.Variables ?? {};
      return [
        {
          logicalId,
          arn: localArn(template, logicalId, names),
          handler,
          environment: resolveIntrinsics(variables, template, names) as Record<string, string>,
        },
      ];
    });
}

/** Every state machine in the template, its definition as plain ASL with local ARNs. */
export function stateMachinesOf(template: Template, names: LocalNames): LocalStateMachineDefinition[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine')
    .map(([logicalId, resource]) => ({
      logicalId,
      name: logicalId,
      arn: localArn(template, logicalId, names),
      definition: JSON.parse(
        String(resolveIntrinsics(resource.Properties?.DefinitionString, template, names)),
      ),
    }));
}
