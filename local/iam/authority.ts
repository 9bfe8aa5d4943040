import { createHash } from 'node:crypto';
import { isWildcardOnlyAction, runSimulation } from '@cloud-copilot/iam-simulate';
import { AwsServiceError } from '../awsJsonServer.ts';
import { type LocalNames, resolveIntrinsics, type Template } from '../template.ts';

/** An IAM policy document, as the template has it once its intrinsics are resolved. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly Record<string, unknown>[];
}

/** Who calls: a role's session (a Lambda, a state machine, the scheduler) or a user of this machine. */
export interface LocalPrincipal {
  /** The ARN AWS names in an AccessDenied message, e.g. `arn:aws:sts::1:assumed-role/NotifyRole/Notify`. */
  readonly arn: string;
  /** The role's (or user's) own ARN, which policies' Principal elements and conditions see. */
  readonly identityArn: string;
  readonly policies: readonly { readonly name: string; readonly policy: PolicyDocument }[];
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** One AWS API call to judge: who, what, on which resource ARN, with which condition keys. */
export interface AuthorizationRequest {
  /** From the request's SigV4 Authorization header. */
  readonly accessKeyId: string | undefined;
  /** e.g. `dynamodb:Query`. */
  readonly action: string;
  /** The resource ARN AWS evaluates, or `*` for actions with no resource type. */
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | string[]>>;
}

/** A call a service principal makes to a resource with a resource policy (Secrets Manager invoking the hook). */
export interface ServiceRequest {
  /** e.g. `secretsmanager.amazonaws.com`. */
  readonly service: string;
  readonly action: string;
  readonly resource: string;
  readonly resourcePolicy: PolicyDocument | undefined;
  readonly context?: Readonly<Record<string, string | string[]>>;
}

/** Refused by IAM, as AWS refuses it: the type and the message name the principal, the action and the resource. */
export class AccessDeniedError extends AwsServiceError {
  public constructor(message: string) {
    super('AccessDeniedException', message);
  }
}

/** A request signed with a key that no principal has: AWS's answer to unknown credentials. */
export class UnrecognizedClientError extends AwsServiceError {
  public constructor() {
    super('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
}

function credentialsFor(name: string): LocalPrincipal['credentials'] {
  const digest = createHash('sha256').update(`rotor-local:${name}`).digest('hex');
  return { accessKeyId: `ASIA${digest.slice(0, 16).toUpperCase()}`, secretAccessKey: digest.slice(16, 56) };
}

type Resource = Template['Resources'][string];

/**
 * IAM as AWS applies it, judged from the synthesized stack by a real policy engine
 * (`@cloud-copilot/iam-simulate`, with AWS's action and resource data): every role of the template
 * with its identity policies, every Lambda permission as the function's resource policy, and local
 * credentials for each role's sessions. The stand-ins ask {@link IamAuthority.authorize} before they
 * act; a refusal is an {@link AccessDeniedError} worded as AWS words it.
 */
export class IamAuthority {
  readonly #byKey = new Map<string, LocalPrincipal>();
  readonly #sessions = new Map<string, LocalPrincipal>();
  readonly #roles = new Map<string, { roleArn: string; policies: LocalPrincipal['policies'] }>();
  readonly #resourcePolicies = new Map<string, PolicyDocument>();
  readonly #accountId: string;
  /** Decisions already made: policies never change in a running system, so the same call gets the same answer. */
  readonly #decisions = new Map<string, Promise<void>>();

  public constructor(template: Template, names: LocalNames) {
    this.#accountId = names.accountId;
    const resolve = (value: unknown) => resolveIntrinsics(value, template, names);
    const entries = Object.entries(template.Resources);
    for (const [logicalId, resource] of entries) {
      if (resource.Type !== 'AWS::IAM::Role') continue;
      const inline = (
        (resource.Properties?.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[]
      ).map((policy) => ({
        name: policy.PolicyName,
        policy: resolve(policy.PolicyDocument) as PolicyDocument,
      }));
      this.#roles.set(logicalId, { roleArn: roleArnOf(logicalId, names), policies: inline });
    }
    for (const [logicalId, resource] of entries) {
      if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const policy = {
        name: logicalId,
        policy: resolve(resource.Properties?.PolicyDocument) as PolicyDocument,
      };
      for (const role of (resource.Properties?.Roles ?? []) as { Ref?: string }[]) {
        const attached = role.Ref ? this.#roles.get(role.Ref) : undefined;
        if (attached) (attached.policies as { name: string; policy: PolicyDocument }[]).push(policy);
      }
    }
    for (const [, resource] of entries) {
      if (resource.Type !== 'AWS::Lambda::Permission') continue;
      this.#addLambdaPermission(resolve(resource.Properties) as Record<string, unknown>);
    }
  }

  /** The principal a function, state machine or schedule runs as: its role's session. */
  public principalOf(resource: Resource, sessionName: string): LocalPrincipal {
    const roleRef = roleReferenceOf(resource);
    const role = roleRef ? this.#roles.get(roleRef) : undefined;
    if (!roleRef || !role) throw new Error(`local mode finds no role for ${sessionName}`);
    const name = `${roleRef}/${sessionName}`;
    const known = this.#sessions.get(name);
    if (known) return known;
    const principal: LocalPrincipal = {
      arn: `arn:aws:sts::${this.#accountId}:assumed-role/${roleRef}/${sessionName}`,
      identityArn: role.roleArn,
      policies: role.policies,
      credentials: credentialsFor(name),
    };
    this.#byKey.set(principal.credentials.accessKeyId, principal);
    this.#sessions.set(name, principal);
    return principal;
  }

  /**
   * A user of this machine with its own policies, e.g. the local administrator whose credentials the
   * tests and the demo use to look at the stand-ins. Its calls are judged like any other.
   */
  public addUser(
    userName: string,
    credentials: LocalPrincipal['credentials'],
    policies: LocalPrincipal['policies'],
  ) {
    const arn = `arn:aws:iam::${this.#accountId}:user/${userName}`;
    this.#byKey.set(credentials.accessKeyId, { arn, identityArn: arn, policies, credentials });
  }

  /** The principal that signed with `accessKeyId`, if any. */
  public principalByKey(accessKeyId: string | undefined): LocalPrincipal | undefined {
    return accessKeyId === undefined ? undefined : this.#byKey.get(accessKeyId);
  }

  /** Throws as AWS refuses the call unless the caller's policies allow it. */
  public authorize(request: AuthorizationRequest): Promise<void> {
    if (!this.principalByKey(request.accessKeyId)) return Promise.reject(new UnrecognizedClientError());
    const key = JSON.stringify([
      request.accessKeyId,
      request.action,
      request.resource,
      request.context ?? {},
    ]);
    let decision = this.#decisions.get(key);
    if (!decision) {
      decision = this.#decide(request);
      this.#decisions.set(key, decision);
      // Keep refusals as they are; an engine failure is not a decision.
      decision.catch((error: unknown) => {
        if (!(error instanceof AwsServiceError)) this.#decisions.delete(key);
      });
    }
    return decision;
  }

  async #decide(request: AuthorizationRequest): Promise<void> {
    const principal = this.principalByKey(request.accessKeyId);
    if (!principal) throw new UnrecognizedClientError();
    const [service = '', action = ''] = request.action.split(':');
    // Actions that support no resource type are judged on "*", as AWS judges them.
    const resource = (await isWildcardOnlyAction(service, action)) ? '*' : request.resource;
    const result = await runSimulation(
      {
        identityPolicies: principal.policies.map(({ name, policy }) => ({ name, policy: { ...policy } })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        request: {
          action: request.action,
          principal: principal.identityArn,
          resource: { resource, accountId: this.#accountId },
          contextVariables: {
            'aws:PrincipalArn': principal.identityArn,
            'aws:PrincipalAccount': this.#accountId,
            ...request.context,
          },
        },
      },
      {},
    );
    if (result.resultType === 'error') {
      throw new Error(
        `the IAM engine could not judge ${request.action} on ${resource}: ${JSON.stringify(result.errors)}`,
      );
    }
    if (result.overallResult === 'Allowed') return;
    const why =
      result.overallResult === 'ExplicitlyDenied'
        ? `with an explicit deny in an identity-based policy`
        : `because no identity-based policy allows the ${request.action} action`;
    throw new AccessDeniedError(
      `User: ${principal.arn} is not authorized to perform: ${request.action} on resource: ${resource} ${why}`,
    );
  }

  /** Whether a service principal may call a resource, as its resource policy says. */
  public async allowsService(request: ServiceRequest): Promise<boolean> {
    if (!request.resourcePolicy) return false;
    const result = await runSimulation(
      {
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: { ...request.resourcePolicy },
        request: {
          action: request.action,
          principal: request.service,
          resource: { resource: request.resource, accountId: this.#accountId },
          contextVariables: { ...request.context },
        },
      },
      {},
    );
    return result.resultType !== 'error' && result.overallResult === 'Allowed';
  }

  /** The resource policy of a function (its Lambda permissions), by function ARN. */
  public functionPolicy(functionArn: string): PolicyDocument | undefined {
    return this.#resourcePolicies.get(functionArn);
  }

  #addLambdaPermission(permission: Record<string, unknown>): void {
    const functionArn = String(permission.FunctionName);
    const condition: Record<string, Record<string, string>> = {};
    if (permission.SourceAccount)
      condition.StringEquals = { 'aws:SourceAccount': String(permission.SourceAccount) };
    if (permission.SourceArn) condition.ArnLike = { 'aws:SourceArn': String(permission.SourceArn) };
    const principal = String(permission.Principal);
    const statement = {
      Effect: 'Allow',
      Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
      Action: String(permission.Action),
      Resource: functionArn,
      ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
    };
    const existing = this.#resourcePolicies.get(functionArn);
    this.#resourcePolicies.set(functionArn, {
      Version: '2012-10-17',
      Statement: [...(existing?.Statement ?? []), statement],
    });
  }
}

/** Local mode names each role after its logical id. */
function roleArnOf(logicalId: string, names: LocalNames): string {
  return `arn:aws:iam::${names.accountId}:role/${logicalId}`;
}

/** The logical id of the role a function (`Role`), state machine (`RoleArn`) or schedule (`Target.RoleArn`) uses. */
function roleReferenceOf(resource: Resource): string | undefined {
  const properties = resource.Properties ?? {};
  const reference = (properties.Role ??
    properties.RoleArn ??
    (properties.Target as { RoleArn?: unknown })?.RoleArn) as { 'Fn::GetAtt'?: [string, string] } | undefined;
  return reference?.['Fn::GetAtt']?.[0];
}
