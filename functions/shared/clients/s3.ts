/** The S3 client maker for `createClients` (./factory.ts): import it only where the function calls S3. */
import { S3Client } from '@aws-sdk/client-s3';
import type { ClientMaker } from './factory.js';

/** `new S3Client(config)`; pass as `createClients({ s3 }, defaults)`. */
export const s3: ClientMaker<'s3'> = (config) => new S3Client(config);
