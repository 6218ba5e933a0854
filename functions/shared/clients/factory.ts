/**
 * The SDK client seam, without any SDK client in it. Handlers never construct SDK clients
 * themselves: they ask a {@link ClientFactory}. A Lambda entry point builds one with
 * {@link createClients} from the makers of just the clients it calls (`functions/shared/clients/<name>.ts`),
 * so its bundle carries only those SDK clients; the local runner and the tests use every client
 * (`functions/shared/clients.ts`).
 *
 * A new client: add it to {@link SdkClients}, add `functions/shared/clients/<name>.ts` exporting its
 * maker, and list the maker in `functions/shared/clients.ts`.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RDSClient, RDSClientConfig } from '@aws-sdk/client-rds';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { STSClient } from '@aws-sdk/client-sts';

/** The SDK clients a function may ask for, by factory method name. */
export interface SdkClients {
  rds: RDSClient;
  sts: STSClient;
  sns: SNSClient;
  /** Secrets Manager (restore drills read the restored database's master user secret). */
  secretsManager: SecretsManagerClient;
  /** S3 (restore drills write evidence records). */
  s3: S3Client;
  /** DynamoDB (the copy slot table of the source account, functions/shared/copy-slots.ts). */
  dynamodb: DynamoDBClient;
}

/** A factory method name: `'rds' | 'sts' | ...`. */
export type ClientName = keyof SdkClients;

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

/**
 * Hands out SDK clients; the same options return the same (cached) client. `ClientFactory<'rds'>`
 * hands out RDS clients only; `ClientFactory` every client of {@link SdkClients}.
 */
export type ClientFactory<K extends ClientName = ClientName> = { [P in K]: (o?: ClientOptions) => SdkClients[P] };

/** The configuration every client gets (a subset every client config accepts). */
export interface ClientConfig {
  region?: string;
  credentials?: SdkCredentials;
  retryMode: 'standard';
  maxAttempts?: number;
}

/** Constructs one kind of client, e.g. `(config) => new RDSClient(config)`. */
export type ClientMaker<P extends ClientName> = (config: ClientConfig) => SdkClients[P];
/** The makers a factory is built from, by factory method name. */
export type ClientMakers<K extends ClientName> = { [P in K]: ClientMaker<P> };

/** At most this many clients are cached; the least recently used is destroyed beyond it (assumed-role keys change per invocation). */
const MAX_CACHED_CLIENTS = 32;

type AnyClient = SdkClients[ClientName];

/**
 * Creates a {@link ClientFactory} for the clients `makers` construct (and no others: the SDK
 * clients a bundle carries are the makers its entry point imports).
 *
 * Clients are cached per (client, Region, access key ID); a credentials *provider* function is
 * keyed by its identity. The cache is bounded ({@link MAX_CACHED_CLIENTS}, LRU) because every
 * AssumeRole returns a new access key. Without credentials a client uses the SDK default chain, so
 * a real Lambda uses its role and `AWS_ENDPOINT_URL` (read by the SDK) points every client at an
 * AWS-compatible endpoint. Retries: the SDK's `standard` retry strategy (exponential backoff with
 * jitter, retry quota); attempts = `defaults.maxAttempts`, else the SDK's `AWS_MAX_ATTEMPTS`, default 3.
 * Source: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 *
 * @param makers e.g. `{ rds }` from `functions/shared/clients/rds.ts`.
 * @param defaults Region/credentials used when a call passes none.
 */
export function createClients<K extends ClientName>(makers: ClientMakers<K>, defaults: ClientFactoryDefaults = {}): ClientFactory<K> {
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

  function get<P extends K>(name: P, o: ClientOptions | undefined): SdkClients[P] {
    const region = o?.region ?? defaults.region;
    const credentials = o?.credentials ?? defaults.credentials;
    const key = `${name}|${region ?? 'default-region'}|${credentialKey(credentials)}`;
    const hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      cache.set(key, hit); // refresh LRU position
      return hit as SdkClients[P];
    }
    const config: ClientConfig = { retryMode: 'standard' };
    if (region !== undefined) config.region = region;
    if (credentials !== undefined) config.credentials = credentials;
    if (defaults.maxAttempts !== undefined) config.maxAttempts = defaults.maxAttempts;
    const client = (makers[name] as ClientMaker<P>)(config);
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

  const factory = {} as ClientFactory<K>;
  for (const name of Object.keys(makers) as K[]) {
    (factory as Record<K, (o?: ClientOptions) => AnyClient>)[name] = (o) => get(name, o);
  }
  return factory;
}
