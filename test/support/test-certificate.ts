import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A self-signed certificate for 127.0.0.1 and localhost, as files and as PEM, to serve and to trust in tests. */
export interface TestCertificate {
  certPath: string;
  keyPath: string;
  cert: Buffer;
  key: Buffer;
}

let made: TestCertificate | undefined;

/**
 * The test process's certificate, made by `openssl` on first use (an EC P-256 key, valid one day) in a
 * temporary folder that is removed when the process exits.
 */
export function testCertificate(): TestCertificate {
  if (made !== undefined) return made;
  const folder = mkdtempSync(join(tmpdir(), 'sluice-tls-'));
  process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
  const certPath = join(folder, 'cert.pem');
  const keyPath = join(folder, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', keyPath, '-out', certPath,
  ], { stdio: 'ignore' });
  made = { certPath, keyPath, cert: readFileSync(certPath), key: readFileSync(keyPath) };
  return made;
}
