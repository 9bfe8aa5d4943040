import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type RotorConfig, rotorConfigFromContext } from './config.ts';
import { RotorStack } from './RotorStack.ts';

/**
 * Builds the Rotor CDK app: settings from context (checked first, so a bad value stops synth with
 * one line), the stack, and cdk-nag's AwsSolutions checks.
 */
export function buildRotorApp(props: AppProps = {}): { app: App; stack: RotorStack; config: RotorConfig } {
  const app = new App(props);
  const config = rotorConfigFromContext((key) => app.node.tryGetContext(key));
  const stack = new RotorStack(app, config.stackName, {
    config,
    env: { region: config.region, ...(config.account ? { account: config.account } : {}) },
    description: 'Rotor: rotates access tokens with a grace period and notifies the admins',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config };
}
