/**
 * Stands in, inside the Lambda bundles only, for the four credential providers that the SDK's
 * default chain (`@aws-sdk/credential-provider-node`) loads by dynamic import after the environment:
 * `@aws-sdk/credential-provider-sso`, `-ini`, `-process` and `-web-identity`. Together with what
 * they pull in (the SSO, SSO OIDC, STS and sign-in clients of `@aws-sdk/nested-clients`, token and
 * login providers) they are ~80 KB of every bundle, and a Lambda function never reaches them: the
 * Lambda runtime puts the execution role's credentials in the reserved variables
 * `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, which the chain's first
 * link (`fromEnv`) reads (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-runtime.html).
 *
 * Each provider here fails the way a real one does when its source is absent (an error with
 * `tryNextLink: true`), so the chain moves on to the container/instance metadata providers and,
 * failing those, to "Could not load credentials from any providers". Wired by `BUNDLING`'s esbuild
 * aliases in infra/constructs/vault-function.ts; tests, the sandbox and the CLI use the real providers.
 */

/** The error the chain skips over (the SDK's `CredentialsProviderError` is matched by `tryNextLink`, not by class). */
export class CredentialSourceNotBundled extends Error {
  readonly tryNextLink = true;
  constructor(source: string) {
    super(`${source} credentials are not bundled into rds-snapshot-vault Lambda functions (they use the execution role's credentials from the environment)`);
    this.name = 'CredentialsProviderError';
  }
}

const notBundled =
  (source: string) =>
  (_init?: unknown) =>
  async (_identityProperties?: unknown): Promise<never> => {
    throw new CredentialSourceNotBundled(source);
  };

/** In place of `@aws-sdk/credential-provider-sso`. */
export const fromSSO = notBundled('SSO');
/** In place of `@aws-sdk/credential-provider-ini` (shared config and credentials files). */
export const fromIni = notBundled('Shared config file');
/** In place of `@aws-sdk/credential-provider-process` (`credential_process`). */
export const fromProcess = notBundled('credential_process');
/** In place of `@aws-sdk/credential-provider-web-identity` (`AWS_WEB_IDENTITY_TOKEN_FILE`). */
export const fromTokenFile = notBundled('Web identity token file');
