/** The DynamoDB client maker for `createClients` (./factory.ts): import it only where the function calls DynamoDB. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ClientMaker } from './factory.js';

/** `new DynamoDBClient(config)`; pass as `createClients({ dynamodb }, defaults)`. */
export const dynamodb: ClientMaker<'dynamodb'> = (config) => new DynamoDBClient(config);
