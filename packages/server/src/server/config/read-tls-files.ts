/** The files TLS settings name, read at startup: one that cannot be read stops it with a message naming it. */

import { readFileSync } from 'node:fs';
import type { TlsIdentity } from '../http/create-listener.ts';
import { SettingsError, type Settings } from './settings.ts';

/** The certificate and key files of the TLS settings, read; undefined without TLS. A file that cannot be read stops startup. */
export function readTlsIdentity(settings: Pick<Settings, 'tlsCert' | 'tlsKey'>): TlsIdentity | undefined {
  if (settings.tlsCert === undefined || settings.tlsKey === undefined) return undefined;
  return { cert: readSettingFile(settings.tlsCert, 'SLUICE_TLS_CERT'), key: readSettingFile(settings.tlsKey, 'SLUICE_TLS_KEY') };
}

/** The extra certificates trusted for upstream TLS (SLUICE_UPSTREAM_CA_FILE), read; undefined without them. */
export function readUpstreamCa(settings: Pick<Settings, 'upstreamCaFile'>): Buffer | undefined {
  return settings.upstreamCaFile === undefined ? undefined : readSettingFile(settings.upstreamCaFile, 'SLUICE_UPSTREAM_CA_FILE');
}

function readSettingFile(path: string, env: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new SettingsError(`Cannot read ${env} file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
