// cdk-nag's AwsSolutions and Serverless packs find nothing left unacknowledged in the stacks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { ColdvaultStack } from '../../lib/coldvault-stack';
import { applyNagChecks } from '../../lib/nag';
import { readSettings } from '../../lib/settings';

const EVERY_OPTION = {
  domainName: 'glacier.example.com',
  certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9',
  hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  hostedZoneName: 'example.com',
  objectLock: 'GOVERNANCE',
  objectLockRetentionDays: 30,
  alarmEmails: ['ops@example.com'],
  dataPlane: 'true',
  dataDomainName: 'data.example.com',
  dataCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809',
};

let outdir: string;
const annotations: Record<string, Annotations> = {};

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'coldvault-nag-'));
  const cases: Record<string, Record<string, unknown>> = {
    dev: { env: 'dev' },
    prod: { env: 'prod' },
    'prod with every option': { env: 'prod', ...EVERY_OPTION },
    'dev with a plain HTTP data plane': { env: 'dev', dataPlane: 'true' },
  };
  for (const [name, context] of Object.entries(cases)) {
    // The rules read the template, not the bundles.
    const app = new App({ outdir, context: { ...context, 'aws:cdk:bundling-stacks': [] } });
    const stack = new ColdvaultStack(app, `coldvault-${name.replace(/ /g, '-')}`, { settings: readSettings(app.node) });
    applyNagChecks(app, true);
    annotations[name] = Annotations.fromStack(stack);
  }
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const findings = (found: { id: string; entry: { data?: unknown } }[]) =>
  found.map((f) => `${f.id}: ${String(f.entry.data).split('\n')[0]}`);

describe.each(['dev', 'prod', 'prod with every option', 'dev with a plain HTTP data plane'])('cdk-nag on %s', (name) => {
  it.each(['AwsSolutions', 'Serverless'])('leaves no %s error unacknowledged', (pack) => {
    expect(findings(annotations[name].findError('*', Match.stringLikeRegexp(`${pack}-.*`)))).toEqual([]);
  });

  it.each(['AwsSolutions', 'Serverless'])('leaves no %s warning unacknowledged', (pack) => {
    expect(findings(annotations[name].findWarning('*', Match.stringLikeRegexp(`${pack}-.*`)))).toEqual([]);
  });

  it('ran both packs: what they found and was acknowledged is reported with its reason', () => {
    // Without this, the tests above would also pass if no rule had run.
    const acknowledged = annotations[name].findInfo('*', Match.stringLikeRegexp('CdkNagSuppression.*')).map((f) => String(f.entry.data));
    expect(acknowledged).toContainEqual(
      expect.stringMatching(/AwsSolutions-APIG4 was triggered but suppressed\.\s+Provided reason: "Clients sign with SigV4/),
    );
    expect(acknowledged).toContainEqual(
      expect.stringMatching(
        /Serverless-LambdaDLQ was triggered but suppressed\.\s+Provided reason: "API Gateway invokes this function synchronously/,
      ),
    );
  });
});
