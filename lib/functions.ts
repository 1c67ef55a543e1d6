import { join } from 'node:path';
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { StorageClass } from '../lambda/config';
import { uploadBlobPrefix } from '../lambda/domain/multipart';
import { LAMBDA_BUNDLING } from './bundling';

const ROOT = join(__dirname, '..');

export interface FunctionsProps {
  table: dynamodb.ITable;
  bucket: s3.IBucket;
  rootSecret: secretsmanager.ISecret;
  storageClass: StorageClass;
}

/**
 * The api function (behind API Gateway), and the inventory and janitor functions (on schedules),
 * each with only the access it uses.
 */
export class Functions extends Construct {
  readonly api: NodejsFunction;
  readonly inventory: NodejsFunction;
  readonly janitor: NodejsFunction;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const environment = {
      COLDVAULT_ACCOUNT_ID: Aws.ACCOUNT_ID,
      COLDVAULT_REGION: Aws.REGION,
      COLDVAULT_TABLE: props.table.tableName,
      COLDVAULT_BUCKET: props.bucket.bucketName,
      COLDVAULT_STORAGE_CLASS: props.storageClass,
      NODE_OPTIONS: '--enable-source-maps',
    };

    this.api = this.nodeFunction('Api', 'api.ts', {
      memorySize: 1024,
      // API Gateway gives up on an integration after 29 seconds.
      timeout: Duration.seconds(29),
      environment: { ...environment, COLDVAULT_ROOT_SECRET_ARN: props.rootSecret.secretArn },
    });
    props.table.grantReadWriteData(this.api);
    this.api.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], resources: [props.bucket.arnForObjects('*')] }),
    );
    // Aborting an upload and deleting a multipart archive list the part objects by prefix.
    this.api.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }));
    props.rootSecret.grantRead(this.api);

    this.inventory = this.nodeFunction('Inventory', 'inventory.ts', { memorySize: 512, timeout: Duration.minutes(15), environment });
    props.table.grantReadWriteData(this.inventory);

    this.janitor = this.nodeFunction('Janitor', 'janitor.ts', { memorySize: 512, timeout: Duration.minutes(15), environment });
    props.table.grantReadWriteData(this.janitor);
    this.janitor.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }));
    // The janitor only deletes the part objects of uploads, never single-part archives.
    this.janitor.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:DeleteObject'], resources: [props.bucket.arnForObjects(`${uploadBlobPrefix('*', '*')}*`)] }),
    );
  }

  private nodeFunction(id: string, handlerFile: string, props: { memorySize: number; timeout: Duration; environment: Record<string, string> }): NodejsFunction {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    return new NodejsFunction(this, id, {
      entry: join(ROOT, 'lambda', 'handlers', handlerFile),
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      bundling: LAMBDA_BUNDLING,
      logGroup,
      ...props,
    });
  }
}
