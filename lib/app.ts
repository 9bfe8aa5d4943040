import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type RotorConfig, rotorConfigFromContext } from './config.ts';
import { RotorStack } from './RotorStack.ts';

export interface BuildOptions {
  /**
   * Run cdk-nag's AwsSolutions checks and the CDK's built-in CloudFormation validation at synth.
   * Local mode, which only reads the template, turns them off: they take most of a synth's time,
   * and `cdk synth` and the CDK tests still run them.
   * @default true
   */
  readonly checks?: boolean;
}

/**
 * Builds the Rotor CDK app: settings from context (checked first, so a bad value stops synth with
 * one line), the stack, and cdk-nag's AwsSolutions checks.
 */
export function buildRotorApp(
  props: AppProps = {},
  options: BuildOptions = {},
): { app: App; stack: RotorStack; config: RotorConfig } {
  const checks = options.checks ?? true;
  const app = new App({ ...props, ...(checks ? {} : { builtinCloudFormationValidation: false }) });
  const config = rotorConfigFromContext((key) => app.node.tryGetContext(key));
  const stack = new RotorStack(app, config.stackName, {
    config,
    env: { region: config.region, ...(config.account ? { account: config.account } : {}) },
    description: 'Rotor: rotates access tokens with a grace period and notifies the admins',
  });
  if (checks) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config };
}
