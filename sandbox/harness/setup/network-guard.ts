/**
 * No test, demo or bench run may reach anything but the sandbox. The sandbox answers SDK calls in
 * process (aws-sdk-client-mock on the client classes, sandbox/simulator/sandbox.ts); an SDK client used
 * while it is not installed (after `dispose()`, a client class the sandbox does not mock, a child
 * execution outliving its parent) would otherwise open a real TLS connection to AWS.
 *
 * `installNetworkGuard()` patches `net.Socket.prototype.connect`, which every TCP connection of
 * Node goes through (`net.connect`, `tls.connect`, `http`/`https` agents, `fetch`/undici), so that
 * a connection to any host but loopback (`localhost`, `127.0.0.0/8`, `::1`; a real PostgreSQL on
 * 127.0.0.1 stays reachable) or a Unix socket throws {@link RealNetworkBlocked} at once, naming the
 * host. Every blocked attempt is also kept in {@link blockedConnections}, so a caller that swallows
 * the error (an SDK retry, a handler turning it into a named error) still fails the test: the vitest
 * setup (test/setup.ts) fails any test after which the list is not empty.
 */
import net from 'node:net';

/** Thrown when code under test tries to open a network connection to a non-loopback host. */
export class RealNetworkBlocked extends Error {
  constructor(readonly host: string, readonly port: number | undefined) {
    super(
      `A connection to ${host}${port !== undefined ? `:${port}` : ''} was attempted; tests, the demo and the bench ` +
        'may only talk to the in-process sandbox (is the sandbox installed? did an execution outlive dispose()?)',
    );
    this.name = 'RealNetworkBlocked';
  }
}

const blocked: Array<{ host: string; port?: number; at: string }> = [];
let installed = false;

/** True for loopback hosts and Unix sockets (always allowed). */
export function isLoopback(host: string | undefined): boolean {
  if (host === undefined || host === '') return true; // Node's default host is localhost
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}

/** The host and port of the arguments of `Socket#connect` in any of its call forms, or a path for a Unix socket. */
function target(args: unknown[]): { host?: string; port?: number; path?: string | null } {
  // net.createConnection passes its normalized arguments as one array: [options, callback].
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (first !== null && typeof first === 'object') {
    const o = first as { host?: string; hostname?: string; port?: number | string; path?: string | null };
    return { host: o.host ?? o.hostname, port: o.port === undefined ? undefined : Number(o.port), path: o.path };
  }
  if (typeof first === 'string' && Number.isNaN(Number(first))) return { path: first };
  const second = Array.isArray(args[0]) ? (args[0] as unknown[])[1] : args[1];
  return { port: Number(first), host: typeof second === 'string' ? second : undefined };
}

/** Patches `net.Socket.prototype.connect` once per process (idempotent). */
export function installNetworkGuard(): void {
  if (installed) return;
  installed = true;
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const t = target(args);
    // Node connects to a Unix socket only for a non-empty string `path` (tls passes `path: null`).
    const unixSocket = typeof t.path === 'string' && t.path !== '';
    if (!unixSocket && !isLoopback(t.host)) {
      blocked.push({ host: t.host ?? '?', port: t.port, at: new Date().toISOString() });
      throw new RealNetworkBlocked(t.host ?? '?', t.port);
    }
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
}

/** Connection attempts the guard refused since the last `takeBlockedConnections()`. */
export function blockedConnections(): ReadonlyArray<{ host: string; port?: number; at: string }> {
  return blocked;
}

/** Returns and clears the refused attempts (a test of the guard itself takes its own). */
export function takeBlockedConnections(): Array<{ host: string; port?: number; at: string }> {
  return blocked.splice(0, blocked.length);
}

installNetworkGuard();
