// `npm start`: serves the Glacier API locally.
import { ConfigError, ENV, readLocalConfig, silenceSdkNodeNotice } from '../config';
import { FAILPOINTS, enableFailpoints } from '../domain/failpoints';
import { CONSOLE_PATH } from '../http/console-assets';
import { DataDirInUseError } from './data-dir-lock';
import { startLocalServer } from './server';

/** Tests' process-kill scenarios: die at a named step, as a power cut or OOM kill would. */
function killAtFailpoint(name: string) {
  if (!(FAILPOINTS as readonly string[]).includes(name)) throw new ConfigError(`${ENV.testKillAt} must be one of ${FAILPOINTS.join(', ')}`);
  enableFailpoints((reached) => {
    if (reached === name) process.kill(process.pid, 'SIGKILL');
  });
}

async function main() {
  silenceSdkNodeNotice();
  const config = readLocalConfig();
  if (config.local.killAt) killAtFailpoint(config.local.killAt);
  const server = await startLocalServer(config);
  const credentials = `AWS_ACCESS_KEY_ID=${config.rootAccessKeyId} AWS_SECRET_ACCESS_KEY=${config.rootSecretAccessKey} AWS_DEFAULT_REGION=${config.region}`;
  console.log(`coldvault is serving the Glacier API at ${server.url} (account ${config.accountId}, data in ${config.local.dataDir})`);
  console.log(`The web console is at ${server.url}${CONSOLE_PATH}`);
  console.log('Try it with the AWS CLI:');
  console.log(`  ${credentials} aws glacier create-vault --account-id - --vault-name my-vault --endpoint-url ${server.url}`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  if (error instanceof ConfigError || error instanceof DataDirInUseError) console.error(`coldvault: ${error.message}`);
  else console.error('coldvault: could not start:', error);
  process.exit(1);
});
