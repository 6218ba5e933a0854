/**
 * vitest setup for every test file: the Node 20 polyfills, and the network guard (sandbox/harness/setup/network-guard.ts).
 * A test after which a real network connection was attempted fails, naming the hosts, even when the
 * code under test swallowed the guard's error.
 */
import '../sandbox/harness/setup/index';
import { afterEach } from 'vitest';
import { takeBlockedConnections } from '../sandbox/harness/setup/index';

afterEach(() => {
  const attempts = takeBlockedConnections();
  if (attempts.length > 0) {
    const hosts = [...new Set(attempts.map((a) => `${a.host}${a.port !== undefined ? `:${a.port}` : ''}`))].join(', ');
    throw new Error(`RealNetworkBlocked: this test tried to open ${attempts.length} real network connection(s) to ${hosts}; only the sandbox may be called`);
  }
});
