import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface TemporaryPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  /** A URL for a new, empty database on this server. */
  createDatabase(): Promise<string>;
  /** Stops the server (disconnecting every client) and starts it again on the same port. */
  restart(): Promise<void>;
  /** Stops the server at once and deletes its files. */
  stop(): Promise<void>;
}

/**
 * Starts a throwaway PostgreSQL server (Debian's `postgresql` package) on a free port, in a temporary
 * directory, without durability (fsync off): about 0.7 s. initdb and postgres refuse to run as root, so
 * as root they run as the `postgres` user. `PG_BIN_DIR` overrides the newest `/usr/lib/postgresql/<n>/bin`.
 */
export async function startPostgres(): Promise<TemporaryPostgres> {
  const binDir = process.env.PG_BIN_DIR ?? findPostgresBinDir();
  const directory = mkdtempSync(join(tmpdir(), 'sluice-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot)
    chownSync(directory, Number((await run('id', ['-u', 'postgres'])).stdout), Number((await run('id', ['-g', 'postgres'])).stdout));
  const exec = (program: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(binDir, program), ...args]) : run(join(binDir, program), args);

  const port = await findFreePort();
  const dataDir = join(directory, 'data');
  await exec('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C.UTF-8']);
  const serverOptions = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  await exec('pg_ctl', ['-D', dataDir, '-o', serverOptions, '-l', join(directory, 'server.log'), '-w', 'start']);

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let databaseCount = 0;
  return {
    url,
    async createDatabase() {
      const name = `test_${++databaseCount}`;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name} STRATEGY file_copy`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async restart() {
      await exec('pg_ctl', ['-D', dataDir, '-o', serverOptions, '-l', join(directory, 'server.log'), '-m', 'fast', '-w', 'restart']);
    },
    async stop() {
      await exec('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function findPostgresBinDir(): string {
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  if (versions[0] === undefined) throw new Error('No PostgreSQL under /usr/lib/postgresql; install postgresql or set PG_BIN_DIR');
  return join('/usr/lib/postgresql', versions[0], 'bin');
}

async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
