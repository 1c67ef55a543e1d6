import { Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** The cdk-nag rule packs the stack is held to: findings become synth errors and warnings. */
export function applyNagChecks(scope: IConstruct, logIgnores = false): void {
  Aspects.of(scope).add(new AwsSolutionsChecks({ verbose: true, logIgnores }));
  Aspects.of(scope).add(new ServerlessChecks({ verbose: true, logIgnores }));
}
