import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type infer as Infer, maxLength, minLength, object, string, enum as zEnum } from 'zod/mini';
import type { RotationWorkflowInput } from '../contract/workflows.ts';
import type { AppRecord } from '../store/model.ts';
import type { Registry } from '../store/Registry.ts';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** The event Secrets Manager sends a rotation function. */
export const rotationEventSchema = object({
  SecretId: string().check(minLength(1), maxLength(2048)),
  ClientRequestToken: string().check(minLength(32), maxLength(64)),
  Step: zEnum(ROTATION_STEPS),
});
export type RotationEvent = Infer<typeof rotationEventSchema>;

export interface RotationHookDependencies {
  readonly secretsManager: SecretsManagerClient;
  readonly registry: Registry;
  readonly tokenPrefix: string;
  readonly clock: () => Date;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  /** Where a rotation Secrets Manager started is counted, and its promotion. @default Rotor's metrics */
  readonly metrics?: Metrics;
  /**
   * Starts (or finds) the rotation workflow that runs the rest of a rotation Secrets Manager began by
   * itself: grace period, notices, expiry and emails. Idempotent per rotation.
   */
  readonly startWorkflow: (input: RotationWorkflowInput) => Promise<unknown>;
}

/** What every step knows once the preconditions hold. */
export interface StepContext {
  readonly step: RotationStep;
  readonly secretArn: string;
  readonly versionId: string;
  readonly stages: Record<string, string[]>;
  readonly app: AppRecord;
  readonly deps: RotationHookDependencies;
}
