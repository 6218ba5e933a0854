/**
 * The simulated Amazon SNS: topics and Publish; published messages are kept for assertions.
 * Source: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
import type { VirtualClock } from '../clock';
import { checkWithResourcePolicy, deniedMessage, type CallContext } from './context';
import { awsError, SandboxUsageError } from './errors';
import type { IamStore } from './identity';
import type { KmsStore } from './kms';
import type { PolicyDocument } from './iam-eval';

/** Input of {@link SnsStore.createTopic}. */
export interface CreateTopicInput {
  readonly accountId: string;
  readonly region: string;
  readonly name: string;
  /** KMS key (id, ARN or alias) for server-side encryption; publishers then need kms:GenerateDataKey* and kms:Decrypt on it. */
  readonly kmsMasterKeyId?: string;
  /** Topic access policy; default: the owner account (`arn:aws:iam::<acct>:root`) may do `SNS:*`. */
  readonly policy?: PolicyDocument;
}

/** A message published to a topic. */
export interface PublishedMessage {
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  /** Virtual time of the publish, ISO-8601 UTC. */
  readonly at: string;
  readonly messageId: string;
  /** Publisher: role ARN or account root ARN. */
  readonly principalArn: string;
}

interface Topic {
  readonly arn: string;
  readonly accountId: string;
  readonly region: string;
  readonly kmsMasterKeyId?: string;
  policy: PolicyDocument;
}

/** Max Message size, bytes (256 KiB). */
export const SNS_MAX_MESSAGE_BYTES = 262_144;

/** Topics and the messages published to them. */
export class SnsStore {
  private readonly topics = new Map<string, Topic>();
  readonly messages: PublishedMessage[] = [];
  private seq = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly iam: IamStore,
    private readonly kms: KmsStore,
  ) {}

  /** Creates a topic. @returns `arn:aws:sns:<region>:<acct>:<name>` @throws SandboxUsageError for an invalid name */
  createTopic(t: CreateTopicInput): string {
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(t.name)) throw new SandboxUsageError(`createTopic: invalid topic name ${t.name}`);
    const arn = `arn:aws:sns:${t.region}:${t.accountId}:${t.name}`;
    this.topics.set(arn, {
      arn,
      accountId: t.accountId,
      region: t.region,
      ...(t.kmsMasterKeyId ? { kmsMasterKeyId: t.kmsMasterKeyId } : {}),
      policy: t.policy ?? {
        Version: '2012-10-17',
        Statement: [{ Sid: 'owner', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${t.accountId}:root` }, Action: 'SNS:*', Resource: arn }],
      },
    });
    return arn;
  }

  /** Replaces a topic's access policy. @throws SandboxUsageError for an unknown topic */
  setTopicPolicy(topicArn: string, policy: PolicyDocument): void {
    const t = this.topics.get(topicArn);
    if (!t) throw new SandboxUsageError(`unknown topic ${topicArn}`);
    t.policy = policy;
  }

  /**
   * Publish. Input: TopicArn (or TargetArn), Message (1 byte - 256 KiB UTF-8), Subject (optional:
   * 1-100 printable ASCII characters, starting with a letter, digit or punctuation, no line breaks).
   * @returns `{ MessageId }`
   * @throws `NotFoundException` (no such topic in the caller's Region), `InvalidParameterException`
   *   (Subject/Message invalid), `AuthorizationErrorException` (topic policy / identity policy),
   *   `KMSDisabledException` / `KMSAccessDeniedException` / `KMSNotFoundException` (encrypted topic)
   */
  publish(input: { TopicArn?: string; TargetArn?: string; Message?: string; Subject?: string }, ctx: CallContext): Record<string, unknown> {
    const topicArn = input.TopicArn ?? input.TargetArn;
    if (!topicArn) throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
    const topic = this.topics.get(topicArn);
    if (!topic || topic.region !== ctx.region) throw awsError('sns', 'NotFoundException', 'Topic does not exist');
    if (input.Subject !== undefined) {
      const s = input.Subject;
      if (s.length === 0 || s.length > 100 || !/^[\x21-\x7e][\x20-\x7e]*$/.test(s)) throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: Subject');
    }
    if (input.Message === undefined || input.Message.length === 0) throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: Empty message');
    if (Buffer.byteLength(input.Message, 'utf8') > SNS_MAX_MESSAGE_BYTES) throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: Message too long');

    const req = { action: 'SNS:Publish', resource: topic.arn };
    const why = checkWithResourcePolicy(this.iam, ctx.principal, topic.policy, topic.accountId, req);
    if (why) throw awsError('sns', 'AuthorizationErrorException', deniedMessage(ctx.principal.callerArn, req, why));

    if (topic.kmsMasterKeyId && !topic.kmsMasterKeyId.startsWith('alias/aws/')) {
      const key = this.kms.resolve(topic.accountId, topic.region, topic.kmsMasterKeyId);
      if (!key) throw awsError('sns', 'KMSNotFoundException', `Invalid keyId ${topic.kmsMasterKeyId}`);
      const problem = this.kms.checkUse(ctx.principal, key, ['kms:GenerateDataKey', 'kms:Decrypt'], 'sns');
      if (problem?.problem === 'disabled') throw awsError('sns', 'KMSDisabledException', `${key.arn} is disabled.`);
      if (problem) {
        throw awsError('sns', 'KMSAccessDeniedException', `User: ${ctx.principal.callerArn} is not authorized to perform: ${problem.action} on resource: ${key.arn}`);
      }
    }
    this.seq++;
    const messageId = `00000000-5b5d-4e6f-8a1b-${this.seq.toString(16).padStart(12, '0')}`;
    this.messages.push({
      topicArn: topic.arn,
      ...(input.Subject !== undefined ? { subject: input.Subject } : {}),
      message: input.Message,
      at: this.clock.iso(),
      messageId,
      principalArn: ctx.principalArn,
    });
    return { MessageId: messageId };
  }
}
