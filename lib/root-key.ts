import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

/** The root key pair, {accessKeyId, secretAccessKey}: the access key ID is chosen, the secret generated. */
export class RootKey extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: { accessKeyId: string }) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'coldvault root key: SigV4 credentials that act as the account with every permission',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ accessKeyId: props.accessKeyId }),
        generateStringKey: 'secretAccessKey',
        excludePunctuation: true,
        passwordLength: 40,
      },
    });
    NagSuppressions.addResourceSuppressions(this.secret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'The root key is a SigV4 key pair its holders sign with; scheduled rotation would lock them out. It is replaced deliberately (put-secret-value) when needed.',
      },
    ]);
  }
}
