/**
 * Stands in, inside the Lambda bundles only, for `@smithy/core/event-streams`: the SDK's event
 * stream codec and serde (~14 KB of every bundle). No rds-snapshot-vault function calls an event
 * stream operation (theirs are plain request/response; in S3 only SelectObjectContent streams events:
 * docs/aws-behaviour.md §32), yet every client carries the codec, because the HTTP
 * protocol loads it on demand and the S3 client builds its event stream marshaller at construction
 * (`resolveEventStreamSerdeConfig`, for S3 Select).
 *
 * Every export the SDK modules import is here with the same shape: the client is built as before,
 * and an event stream operation would fail at once with {@link EventStreamsNotBundled} instead of
 * streaming. Wired by `BUNDLE_ALIASES` in infra/constructs/vault-function.ts; tests, the sandbox and
 * the CLI use the real module (test/functions/bundles.test.ts checks the export names).
 */

/** An event stream operation was called inside a Lambda bundle (none of ours uses one). */
export class EventStreamsNotBundled extends Error {
  constructor(what: string) {
    super(`${what}: event streams are not bundled into rds-snapshot-vault Lambda functions (none of their AWS operations streams events)`);
    this.name = 'EventStreamsNotBundled';
  }
}

const refuse = (what: string) => (): never => {
  throw new EventStreamsNotBundled(what);
};

/** The marshaller every client gets at construction: it refuses to (de)serialize. */
const marshaller = { serialize: refuse('EventStreamMarshaller.serialize'), deserialize: refuse('EventStreamMarshaller.deserialize') };

/** In place of the Node event stream serde provider (`eventStreamSerdeProvider` in each client's runtime config). */
export const eventStreamSerdeProvider = (_options?: unknown): typeof marshaller => marshaller;

/** The same as the real resolver (S3Client calls it at construction): sets `eventStreamMarshaller` from the provider. */
export const resolveEventStreamSerdeConfig = <T extends { eventStreamSerdeProvider: (input: T) => unknown }>(input: T): T & { eventStreamMarshaller: unknown } =>
  Object.assign(input, { eventStreamMarshaller: input.eventStreamSerdeProvider(input) });

/** In place of the schema serde the HTTP protocol loads for an event stream member (`loadEventStreamCapability`). */
export class EventStreamSerde {
  constructor(_options?: unknown) {}
  async serializeEventStream(): Promise<never> {
    throw new EventStreamsNotBundled('serializeEventStream');
  }
  async deserializeEventStream(): Promise<never> {
    throw new EventStreamsNotBundled('deserializeEventStream');
  }
}
