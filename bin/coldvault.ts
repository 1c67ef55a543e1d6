// CDK app: one stack per environment, `npx cdk deploy -c env=prod [-c storageClass=DEEP_ARCHIVE] [-c rootAccessKeyId=...]`.
import { App } from 'aws-cdk-lib';
import { ColdvaultStack } from '../lib/coldvault-stack';
import { readSettings } from '../lib/settings';

const app = new App();
const settings = readSettings(app.node);
new ColdvaultStack(app, `coldvault-${settings.envName}`, {
  settings,
  description: `coldvault (${settings.envName}): the Amazon Glacier vault API on API Gateway, Lambda, S3 and DynamoDB`,
});
