import net from 'node:net';
import { DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { isLoopback, takeBlockedConnections } from '../../sandbox/harness/setup/index';

describe('network guard (vitest setup, runner, demo)', () => {
  it('refuses a real SDK call to RDS with an error naming the host, not a network error', async () => {
    // No sandbox installed: this is the real client with the real HTTPS handler.
    const rds = new RDSClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'x' }, maxAttempts: 1 });
    const err = (await rds.send(new DescribeDBSnapshotsCommand({})).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error | undefined;
    expect(err?.name).toBe('RealNetworkBlocked');
    expect(err?.message).toContain('rds.us-east-1.amazonaws.com:443');
    const attempts = takeBlockedConnections(); // taken here, so the setup's afterEach does not fail this test
    expect(attempts.map((a) => a.host)).toEqual(['rds.us-east-1.amazonaws.com']);
  });

  it('refuses raw TCP to a non-loopback address as well', () => {
    expect(() => net.connect({ host: '10.1.2.3', port: 5432 })).toThrow(/A connection to 10\.1\.2\.3:5432/);
    expect(() => net.connect(443, 'sts.amazonaws.com')).toThrow(/sts\.amazonaws\.com:443/);
    expect(takeBlockedConnections()).toHaveLength(2);
  });

  it('lets loopback through (a real PostgreSQL on 127.0.0.1 must stay reachable)', async () => {
    const server = net.createServer((s) => s.end('hello'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    const data = await new Promise<string>((resolve, reject) => {
      const c = net.connect({ host: '127.0.0.1', port }, () => undefined);
      let buf = '';
      c.on('data', (d) => (buf += String(d)));
      c.on('end', () => resolve(buf));
      c.on('error', reject);
    });
    server.close();
    expect(data).toBe('hello');
    expect(['localhost', '127.0.0.1', '::1', '[::1]'].every(isLoopback)).toBe(true);
    expect(['rds.us-east-1.amazonaws.com', '169.254.169.254', '128.0.0.1'].some(isLoopback)).toBe(false);
    expect(takeBlockedConnections()).toEqual([]);
  });
});
