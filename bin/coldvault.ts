// CDK app: one stack per environment from config/<env>.json, `npx cdk deploy -c env=prod`.
// Context values override the file's (`-c storageClass=DEEP_ARCHIVE`); `-c nag=true` runs cdk-nag.
import { App } from 'aws-cdk-lib';
import { ColdvaultStack } from '../lib/coldvault-stack';
import { applyNagChecks } from '../lib/nag';
import { readSettings } from '../lib/settings';

const app = new App();
const settings = readSettings(app.node);
new ColdvaultStack(app, `coldvault-${settings.envName}`, {
  settings,
  description: `coldvault (${settings.envName}): the Amazon Glacier vault API on API Gateway, Lambda, S3 and DynamoDB`,
});
if (String(app.node.tryGetContext('nag')) === 'true') applyNagChecks(app);
