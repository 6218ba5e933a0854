/**
 * The SDK client seam. Handlers never construct SDK clients themselves: they ask a
 * {@link ClientFactory}, which the Lambda entry point builds with the Lambda role's default
 * credentials and which the local runner (sandbox/) builds with sandbox credentials.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient, type RDSClientConfig } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';

type SdkCredentials = NonNullable<RDSClientConfig['credentials']>;
/** Static credentials `{ accessKeyId, secretAccessKey, sessionToken?, expiration? }` (same type as `@smithy/types`). */
export type AwsCredentialIdentity = Exclude<SdkCredentials, (...args: never[]) => unknown>;
/** A function returning credentials (same type as `@smithy/types`). */
export type AwsCredentialIdentityProvider = Extract<SdkCredentials, (...args: never[]) => unknown>;

/** Per-client options; missing fields fall back to the factory defaults. */
export interface ClientOptions {
  /** AWS Region of the client (the *destination* Region for cross-Region copies). */
  region?: string;
  /** Credentials; omitted = the SDK default provider chain (Lambda role, env, profile, ...). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/** Factory defaults: {@link ClientOptions} plus optional retry tuning. */
export interface ClientFactoryDefaults extends ClientOptions {
  /** Total attempts per API call; omitted = the SDK's own setting (`AWS_MAX_ATTEMPTS`, default 3). */
  maxAttempts?: number;
}

/** Hands out SDK clients; the same options return the same (cached) client. */
export interface ClientFactory {
  rds(o?: ClientOptions): RDSClient;
  sts(o?: ClientOptions): STSClient;
  sns(o?: ClientOptions): SNSClient;
  kms(o?: ClientOptions): KMSClient;
  /** Secrets Manager (restore drills read the restored database's master user secret). */
  secretsManager(o?: ClientOptions): SecretsManagerClient;
  /** S3 (restore drills write evidence records). */
  s3(o?: ClientOptions): S3Client;
  /** DynamoDB (the copy slot table of the source account, functions/shared/copy-slots.ts). */
  dynamodb(o?: ClientOptions): DynamoDBClient;
}

/** At most this many clients are cached; the least recently used is destroyed beyond it (assumed-role keys change per invocation). */
const MAX_CACHED_CLIENTS = 32;

type Service = 'rds' | 'sts' | 'sns' | 'kms' | 'secretsmanager' | 's3' | 'dynamodb';
/** The configuration every client gets (a subset all four client configs accept). */
interface CommonConfig {
  region?: string;
  credentials?: SdkCredentials;
  retryMode: 'standard';
  maxAttempts?: number;
}
type AnyClient = RDSClient | STSClient | SNSClient | KMSClient | SecretsManagerClient | S3Client | DynamoDBClient;

/**
 * Creates a {@link ClientFactory}.
 *
 * Clients are cached per (service, Region, access key ID); a credentials *provider* function is
 * keyed by its identity. The cache is bounded ({@link MAX_CACHED_CLIENTS}, LRU) because every
 * AssumeRole returns a new access key. Without credentials a client uses the SDK default chain, so
 * a real Lambda uses its role and `AWS_ENDPOINT_URL` (read by the SDK) points every client at an
 * AWS-compatible endpoint. Retries: the SDK's `standard` retry strategy (exponential backoff with
 * jitter, retry quota); attempts = `defaults.maxAttempts`, else the SDK's `AWS_MAX_ATTEMPTS`, default 3.
 * Source: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 *
 * @param defaults Region/credentials used when a call passes none.
 */
export function createClientFactory(defaults: ClientFactoryDefaults = {}): ClientFactory {
  const cache = new Map<string, AnyClient>();
  const providerIds = new WeakMap<object, number>();
  let nextProviderId = 0;

  const credentialKey = (c: ClientOptions['credentials']): string => {
    if (c === undefined) return 'default-chain';
    if (typeof c === 'function') {
      let id = providerIds.get(c);
      if (id === undefined) {
        id = nextProviderId++;
        providerIds.set(c, id);
      }
      return `provider#${id}`;
    }
    return `key:${c.accessKeyId}`;
  };

  function get<C extends AnyClient>(service: Service, o: ClientOptions | undefined, make: (config: CommonConfig) => C): C {
    const region = o?.region ?? defaults.region;
    const credentials = o?.credentials ?? defaults.credentials;
    const key = `${service}|${region ?? 'default-region'}|${credentialKey(credentials)}`;
    const hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      cache.set(key, hit); // refresh LRU position
      return hit as C;
    }
    const config: CommonConfig = { retryMode: 'standard' };
    if (region !== undefined) config.region = region;
    if (credentials !== undefined) config.credentials = credentials;
    if (defaults.maxAttempts !== undefined) config.maxAttempts = defaults.maxAttempts;
    const client = make(config);
    cache.set(key, client);
    if (cache.size > MAX_CACHED_CLIENTS) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) {
        cache.get(oldest)?.destroy();
        cache.delete(oldest);
      }
    }
    return client;
  }

  return {
    rds: (o) => get('rds', o, (c) => new RDSClient(c)),
    sts: (o) => get('sts', o, (c) => new STSClient(c)),
    sns: (o) => get('sns', o, (c) => new SNSClient(c)),
    kms: (o) => get('kms', o, (c) => new KMSClient(c)),
    secretsManager: (o) => get('secretsmanager', o, (c) => new SecretsManagerClient(c)),
    s3: (o) => get('s3', o, (c) => new S3Client(c)),
    dynamodb: (o) => get('dynamodb', o, (c) => new DynamoDBClient(c)),
  };
}
