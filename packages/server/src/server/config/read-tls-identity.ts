import { readFileSync } from 'node:fs';
import type { TlsIdentity } from '../http/create-listener.ts';
import { SettingsError, type Settings } from './settings.ts';

/** The certificate and key files of the TLS settings, read; undefined without TLS. A file that cannot be read stops startup. */
export function readTlsIdentity(settings: Pick<Settings, 'tlsCert' | 'tlsKey'>): TlsIdentity | undefined {
  if (settings.tlsCert === undefined || settings.tlsKey === undefined) return undefined;
  const read = (path: string, env: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new SettingsError(`Cannot read ${env} file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  };
  return { cert: read(settings.tlsCert, 'SLUICE_TLS_CERT'), key: read(settings.tlsKey, 'SLUICE_TLS_KEY') };
}
