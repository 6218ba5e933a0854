/** The SNS client maker for `createClients` (./factory.ts): import it only where the function calls SNS. */
import { SNSClient } from '@aws-sdk/client-sns';
import type { ClientMaker } from './factory.js';

/** `new SNSClient(config)`; pass as `createClients({ sns }, defaults)`. */
export const sns: ClientMaker<'sns'> = (config) => new SNSClient(config);
