/** The RDS client maker for `createClients` (./factory.ts): import it only where the function calls RDS. */
import { RDSClient } from '@aws-sdk/client-rds';
import type { ClientMaker } from './factory.js';

/** `new RDSClient(config)`; pass as `createClients({ rds }, defaults)`. */
export const rds: ClientMaker<'rds'> = (config) => new RDSClient(config);
