import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';

/**
 * The packages as a user gets them: `npm pack` of every workspace (which builds each through `prepack`),
 * the tarballs installed into a new project, and every entry point imported and streamed from there, by
 * plain Node (no type stripping, no workspace links, no `sluice-source` condition).
 */

const run = promisify(execFile);
const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const rootManifest = JSON.parse(await readFile(join(repositoryRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
/** Without the repository's NODE_OPTIONS or conditions: what a user's shell has. */
const userEnvironment = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_OPTIONS'));

const packages = {
  '@sluice/protocol': 'sluice-protocol-0.1.0.tgz',
  '@sluice/client': 'sluice-client-0.1.0.tgz',
  '@sluice/react': 'sluice-react-0.1.0.tgz',
  sluice: 'sluice-0.1.0.tgz',
} as const;
type PackageName = keyof typeof packages;

interface PackedManifest {
  name: string;
  license: string;
  type: string;
  sideEffects?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  bin?: Record<string, string>;
}

/**
 * The repository's files (tracked, and new ones not ignored) copied to `target`, as a clean checkout would
 * have them: no dist/ of an earlier build, and packing there builds nothing in this working tree. Its
 * node_modules links to this one's, except the workspace packages, which link to the copy's own.
 */
async function copyCheckout(target: string): Promise<string> {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repositoryRoot, maxBuffer: 16 * 1024 * 1024 });
  for (const file of stdout.split('\0').filter((path) => path !== '' && existsSync(join(repositoryRoot, path)))) {
    await cp(join(repositoryRoot, file), join(target, file));
  }
  const modules = join(repositoryRoot, 'node_modules');
  await mkdir(join(target, 'node_modules', '@sluice'), { recursive: true });
  for (const entry of await readdir(modules)) {
    if (entry !== 'sluice' && entry !== '@sluice') await symlink(join(modules, entry), join(target, 'node_modules', entry));
  }
  await symlink(join(target, 'packages', 'server'), join(target, 'node_modules', 'sluice'));
  for (const name of ['protocol', 'client', 'react']) await symlink(join(target, 'packages', name), join(target, 'node_modules', '@sluice', name));
  return target;
}

describe('the packed packages, installed into a new project', { timeout: 300_000 }, () => {
  let packDirectory: string;
  let project: string;
  const files = new Map<PackageName, string[]>();

  before(async () => {
    packDirectory = await mkdtemp(join(tmpdir(), 'sluice-pack-'));
    project = await mkdtemp(join(tmpdir(), 'sluice-project-'));
    const checkout = await copyCheckout(join(packDirectory, 'checkout'));
    await run('npm', ['pack', '--workspaces', '--pack-destination', packDirectory, '--loglevel=error'], {
      cwd: checkout,
      env: userEnvironment,
      maxBuffer: 16 * 1024 * 1024,
    });
    for (const [name, tarball] of Object.entries(packages) as [PackageName, string][]) {
      const { stdout } = await run('tar', ['-tzf', join(packDirectory, tarball)]);
      files.set(name, stdout.split('\n').filter((line) => line !== '').map((line) => line.replace(/^package\//, '')));
    }
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
    const tarballs = Object.values(packages).map((tarball) => join(packDirectory, tarball));
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, `react@${rootManifest.devDependencies.react}`], {
      cwd: project,
      env: userEnvironment,
      maxBuffer: 16 * 1024 * 1024,
    });
  });
  after(async () => {
    await rm(packDirectory, { recursive: true, force: true });
    await rm(project, { recursive: true, force: true });
  });

  const manifestOf = async (name: PackageName): Promise<PackedManifest> =>
    JSON.parse(await readFile(join(project, 'node_modules', name, 'package.json'), 'utf8')) as PackedManifest;

  it('ship compiled JavaScript, types, the README and the LICENSE, and no sources, tests, benchmarks or fixtures', async () => {
    const license = await readFile(join(repositoryRoot, 'LICENSE'), 'utf8');
    for (const name of Object.keys(packages) as PackageName[]) {
      const listed = files.get(name)!;
      const stray = listed.filter((file) => !/^(dist\/.+\.(js|d\.ts|html|css)|bin\/sluice\.js|package\.json|README\.md|LICENSE)$/.test(file));
      assert.deepEqual(stray, [], `${name} ships ${stray.join(', ')}`);
      assert.ok(listed.includes('dist/index.js') || name === 'sluice', `${name} has dist/index.js`);
      assert.ok(listed.includes('README.md') && listed.includes('LICENSE'), `${name} has its README and LICENSE`);
      const manifest = await manifestOf(name);
      assert.equal(manifest.license, 'MIT');
      assert.equal(await readFile(join(project, 'node_modules', name, 'LICENSE'), 'utf8'), license);
      assert.equal(manifest.type, 'module');
    }
    for (const name of ['@sluice/protocol', '@sluice/client', '@sluice/react'] as const) assert.equal((await manifestOf(name)).sideEffects, false);
  });

  it('give a client user none of the server dependencies, and react only as the hook package peer', async () => {
    assert.deepEqual(Object.keys((await manifestOf('@sluice/protocol')).dependencies ?? {}), []);
    assert.deepEqual(Object.keys((await manifestOf('@sluice/client')).dependencies ?? {}).sort(), ['@sluice/protocol', 'eventsource-parser']);
    const hook = await manifestOf('@sluice/react');
    assert.deepEqual(Object.keys(hook.dependencies ?? {}), ['@sluice/client']);
    assert.deepEqual(Object.keys(hook.peerDependencies ?? {}), ['react']);
    assert.equal((await manifestOf('sluice')).peerDependencies?.react, undefined);
  });

  it('import and stream from every entry point in plain Node', async () => {
    const script = `
      import { startSluice } from 'sluice';
      import { streamChat } from '@sluice/client';
      import { streamChat as streamChatAgain } from 'sluice/client';
      import { createChatStore, useChat } from '@sluice/react';
      import { useChat as useChatAgain } from 'sluice/react';
      const sluice = await startSluice({ port: 0, logLevel: 'silent', demoFirstTokenDelayMs: 0, demoTokensPerSecond: 10000 });
      try {
        const fromClient = await streamChat({ baseUrl: sluice.url, prompt: 'hello' }).text();
        const fromGateway = await streamChatAgain({ baseUrl: sluice.url, prompt: 'hello' }).text();
        const store = createChatStore({ baseUrl: sluice.url });
        await store.send('hello');
        const answer = store.getSnapshot().messages.at(-1);
        console.log(JSON.stringify({
          fromClient, fromGateway, hook: answer.content, demo: answer.demo, status: store.getSnapshot().status,
          useChat: typeof useChat, sameHook: useChat === useChatAgain,
        }));
      } finally {
        await sluice.close();
      }
    `;
    await writeFile(join(project, 'every-entry-point.mjs'), script);
    const { stdout } = await run(process.execPath, ['every-entry-point.mjs'], { cwd: project, env: userEnvironment });
    const result = JSON.parse(stdout) as Record<string, unknown>;
    assert.ok(typeof result.fromClient === 'string' && result.fromClient.length > 20, 'the client streamed an answer');
    assert.equal(result.fromGateway, result.fromClient);
    assert.equal(result.hook, result.fromClient);
    assert.equal(result.demo, true);
    assert.equal(result.status, 'ready');
    assert.equal(result.useChat, 'function');
    assert.equal(result.sameHook, true);
  });

  it('run as `npx sluice`: --help, ingest --help, and a server that streams and drains on SIGTERM', async () => {
    const help = await run('npx', ['--no-install', 'sluice', '--help'], { cwd: project, env: userEnvironment });
    assert.match(help.stdout, /^Usage: sluice/);
    assert.match(help.stdout, /SLUICE_HEARTBEAT_MS/);
    const ingestHelp = await run('npx', ['--no-install', 'sluice', 'ingest', '--help'], { cwd: project, env: userEnvironment });
    assert.match(ingestHelp.stdout, /^Usage: sluice ingest/);

    const server = spawn(join(project, 'node_modules', '.bin', 'sluice'), [], {
      cwd: project,
      env: { ...userEnvironment, PORT: '0', SLUICE_DEMO_FIRST_TOKEN_DELAY_MS: '0', SLUICE_DEMO_TOKENS_PER_SECOND: '10000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = '';
        server.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString('utf8');
          const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
          if (match) resolve(match[1]!);
        });
        server.once('exit', (code) => reject(new Error(`sluice exited with ${code} before listening: ${output}`)));
      });
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200, 'the installed package serves the built chat page');
      assert.match(await page.text(), /<html/i);
      const response = await fetch(`${url}/v1/chat/text?prompt=hello`);
      assert.equal(response.status, 200);
      assert.ok((await response.text()).length > 20);
    } finally {
      server.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });

  it('have types that a strict TypeScript project compiles against', async () => {
    const source = `
      import { streamChat, type SluiceEvent } from '@sluice/client';
      import { createChatStore, useChat, type UIMessage } from '@sluice/react';
      import { startSluice, type SluiceInstance } from 'sluice';
      export async function check(): Promise<string> {
        const sluice: SluiceInstance = await startSluice({ port: 0 });
        const events: SluiceEvent[] = [];
        for await (const event of streamChat({ baseUrl: sluice.url, prompt: 'hi' })) if (event.type !== 'token') events.push(event);
        const messages: readonly UIMessage[] = createChatStore({ baseUrl: sluice.url }).getSnapshot().messages;
        return typeof useChat + messages.length + events.length;
      }
    `;
    await writeFile(join(project, 'check.ts'), source);
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2024', 'dom'],
          strict: true,
          noEmit: true,
          typeRoots: [join(repositoryRoot, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['check.ts'],
      }),
    );
    const compiler = join(repositoryRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const { stdout } = await run(process.execPath, [compiler, '-p', '.'], { cwd: project, env: userEnvironment }).catch((error: { stdout: string }) => error);
    assert.equal(stdout, '');
  });

  it('bundle for a browser: @sluice/client from itself, the protocol and eventsource-parser only; @sluice/react importing only react', async (t) => {
    await writeFile(join(project, 'browser-client.js'), "export * from '@sluice/client';\n");
    await writeFile(join(project, 'browser-stream-chat.js'), "export { streamChat } from '@sluice/client';\n");
    await writeFile(join(project, 'browser-hook.js'), "export { useChat } from '@sluice/react';\n");
    const bundle = (entry: string, external: string[]) =>
      build({ absWorkingDir: project, entryPoints: [entry], bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', external, write: false, metafile: true, logLevel: 'silent' });

    for (const [entry, what] of [['browser-client.js', 'the whole entry'], ['browser-stream-chat.js', 'streamChat alone']] as const) {
      const client = await bundle(entry, []);
      const inputs = Object.keys(client.metafile.inputs).filter((input) => input !== entry);
      const foreign = inputs.filter((input) => !/^node_modules\/(@sluice\/client|@sluice\/protocol|eventsource-parser)\//.test(input));
      assert.deepEqual(foreign, []);
      const bytes = client.outputFiles[0]!.contents;
      const gzipBytes = gzipSync(bytes, { level: 9 }).length;
      t.diagnostic(`@sluice/client browser bundle, ${what}: ${(bytes.length / 1024).toFixed(1)} KiB minified, ${(gzipBytes / 1024).toFixed(1)} KiB gzipped`);
      // A budget that catches server code or a heavy dependency leaking in; the README states the measured size.
      assert.ok(gzipBytes < 12 * 1024, `${gzipBytes} bytes gzipped`);
    }

    const hook = await bundle('browser-hook.js', ['react']);
    const imports = Object.values(hook.metafile.outputs).flatMap((output) => output.imports.map((imported) => imported.path));
    assert.deepEqual([...new Set(imports)], ['react']);
  });
});
