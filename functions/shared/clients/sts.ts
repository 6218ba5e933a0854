/** The STS client maker for `createClients` (./factory.ts): import it only where the function calls STS (the vault role). */
import { STSClient } from '@aws-sdk/client-sts';
import type { ClientMaker } from './factory.js';

/** `new STSClient(config)`; pass as `createClients({ sts }, defaults)`. */
export const sts: ClientMaker<'sts'> = (config) => new STSClient(config);
