/** The Secrets Manager client maker for `createClients` (./factory.ts): import it only where the function calls Secrets Manager. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ClientMaker } from './factory.js';

/** `new SecretsManagerClient(config)`; pass as `createClients({ secretsManager }, defaults)`. */
export const secretsManager: ClientMaker<'secretsManager'> = (config) => new SecretsManagerClient(config);
