/**
 * Every SDK client, for the local runner (sandbox/harness/runner.ts, which `rsv --local` runs too) and the tests. Lambda
 * entry points do NOT import this module's values: they build their factory with `createClients`
 * (./clients/factory.ts) from the makers of the clients they call, so each bundle carries only
 * those (test/functions/bundles.test.ts checks it).
 */
import { createClients, type ClientFactory, type ClientFactoryDefaults, type ClientMakers, type ClientName } from './clients/factory.js';
import { dynamodb } from './clients/dynamodb.js';
import { rds } from './clients/rds.js';
import { s3 } from './clients/s3.js';
import { secretsManager } from './clients/secrets-manager.js';
import { sns } from './clients/sns.js';
import { sts } from './clients/sts.js';

export type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  ClientFactory,
  ClientFactoryDefaults,
  ClientName,
  ClientOptions,
  SdkClients,
} from './clients/factory.js';

/** The maker of every client of `SdkClients`. */
export const ALL_CLIENTS: ClientMakers<ClientName> = { rds, sts, sns, secretsManager, s3, dynamodb };

/** A {@link ClientFactory} handing out every client; see `createClients` for caching and retries. */
export function createClientFactory(defaults: ClientFactoryDefaults = {}): ClientFactory {
  return createClients(ALL_CLIENTS, defaults);
}
