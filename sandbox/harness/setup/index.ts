/**
 * Process setup every local entry point loads first (vitest `setupFiles`, the demo, the bench,
 * `rsv --local`): the Node 20 polyfills aws-local-stepfunctions needs and the network guard, which
 * refuses any TCP connection to a host that is not loopback ({@link RealNetworkBlocked}).
 * Cheap to import (no SDK, no CDK); sandbox/harness/index.ts loads it too.
 */
import './polyfills';

export { blockedConnections, installNetworkGuard, isLoopback, RealNetworkBlocked, takeBlockedConnections } from './network-guard';
