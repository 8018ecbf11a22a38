/** What stops the real command at startup is one line on stderr, `sluice: ...`, and exit code 1: no stack trace. */

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ListenError } from '../../packages/server/src/server/listen-error.ts';
import { startSluice } from '../../packages/server/src/server/start-sluice.ts';
import { sluiceCommand } from '../support/sluice-command.ts';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `sluice` with only `environment` (and PATH), as `user` when given (through runuser, as root). */
function runSluice(environment: Record<string, string>, user?: string): Promise<Outcome> {
  const [command, args] = user === undefined ? [process.execPath, sluiceCommand()] : ['runuser', ['-u', user, '--', process.execPath, ...sluiceCommand()]];
  return new Promise((resolve) => {
    const child = execFile(command, args, { env: { PATH: process.env.PATH ?? '', ...environment }, cwd: tmpdir(), timeout: 30_000 }, (_error, stdout, stderr) =>
      resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

function assertOneLine(outcome: Outcome, message: RegExp): void {
  assert.equal(outcome.code, 1, outcome.stderr);
  assert.equal(outcome.stdout, '', 'nothing was announced');
  assert.match(outcome.stderr, /^sluice: [^\n]+\n$/, 'one line');
  assert.match(outcome.stderr, message);
}

test('a port in use: names the address and says to stop the other process or pick another PORT', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const { port } = holder.address() as { port: number };
  try {
    const outcome = await runSluice({ HOST: '127.0.0.1', PORT: String(port) });
    assertOneLine(outcome, new RegExp(`^sluice: Cannot listen on 127\\.0\\.0\\.1 port ${port}: port ${port} is in use by another process; stop it, or set PORT to a free port \\(PORT=0 picks one\\)\\n$`));
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
});

test('embedded, startSluice rejects with a ListenError carrying the same words and Node’s code', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const { port } = holder.address() as { port: number };
  try {
    await assert.rejects(startSluice({ host: '127.0.0.1', port, logLevel: 'silent' }), (error: unknown) => {
      assert.ok(error instanceof ListenError);
      assert.equal(error.code, 'EADDRINUSE');
      assert.match(error.message, new RegExp(`^Cannot listen on 127\\.0\\.0\\.1 port ${port}: port ${port} is in use`));
      return true;
    });
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
});

test('a HOST that does not resolve', async () => {
  const outcome = await runSluice({ HOST: 'no-such-host.invalid', PORT: '0' });
  assertOneLine(outcome, /^sluice: Cannot listen on no-such-host\.invalid port 0: HOST "no-such-host\.invalid" (is neither an IP address nor a name this machine can resolve|could not be resolved now)/);
});

test('a HOST that is not an address of this machine', async () => {
  // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a real machine.
  const outcome = await runSluice({ HOST: '192.0.2.1', PORT: '0' });
  assertOneLine(outcome, /^sluice: Cannot listen on 192\.0\.2\.1 port 0: 192\.0\.2\.1 is not an address of this machine; set HOST to one of its addresses/);
});

test('a privileged port without the privilege', async () => {
  const firstUnprivilegedPort = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
  assert.ok(firstUnprivilegedPort > 1, 'this machine lets anyone listen on any port, so EACCES cannot happen here');
  const port = firstUnprivilegedPort - 1;
  // As root every port is allowed: run as nobody, as a service account would.
  const user = process.getuid?.() === 0 ? 'nobody' : undefined;
  if (user !== undefined) {
    const check = spawnSync('runuser', ['-u', user, '--', process.execPath, '--version']);
    assert.equal(check.status, 0, `${user} cannot run ${process.execPath} (${check.stderr.toString().trim()}): install Node where every account can run it`);
  }
  const outcome = await runSluice({ HOST: '127.0.0.1', PORT: String(port) }, user);
  assertOneLine(outcome, new RegExp(`^sluice: Cannot listen on 127\\.0\\.0\\.1 port ${port}: permission denied: ports below 1024 need privileges; set PORT to 1024 or above`));
});

const folder = mkdtempSync(join(tmpdir(), 'sluice-startup-'));
after(() => rmSync(folder, { recursive: true, force: true }));

test('a bad config file', async () => {
  const path = join(folder, 'sluice.json');
  writeFileSync(path, JSON.stringify({ port: 'eighty' }));
  const outcome = await runSluice({ SLUICE_CONFIG: path });
  assertOneLine(outcome, /^sluice: Invalid "port" in \S+sluice\.json \(PORT\): expected a whole number, got "eighty"\n$/);
});
