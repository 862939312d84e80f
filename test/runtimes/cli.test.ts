// The wasmgit command (dist/cli/wasmgit.js, as the package ships it) and the
// clone API (dist/api.js) under Bun and Deno, each result checked by real git
// against `git clone` of the same source. The cases are the ones that reach
// runtime-specific Node APIs: HTTP (node:http), git:// (node:net), ssh and
// file:// (child processes), a local path (hard links), a checkout of over
// 2,000 files (its writer thread: worker_threads, SharedArrayBuffer, Atomics),
// deltas resolved on a worker thread, .gitattributes filters (a command and a
// long-running process), progress on stderr, an error exit, and signals.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { skipWithReason } from '../helpers/skip.ts';
import { bun, deno, ROOT } from '../helpers/runtimes.ts';
import { fakeSshEnv, hasOpenssl, selfSignedCert, slowRelay, startGitDaemon, startHttpServer, type GitDaemon, type HttpServer } from '../helpers/servers.ts';
import { FastImport, assertSameClone, git, gitAsync, gitEnv, serveFixture, type ServedFixture } from '../clone/fixture.ts';

const test = suite('the wasmgit command and clone API under Bun and Deno');
const CLI = join(ROOT, 'dist', 'cli', 'wasmgit.js');
const API = pathToFileURL(join(ROOT, 'dist', 'api.js')).href;
const UPCASE = fileURLToPath(new URL('../fixtures/filter-process/upcase.mjs', import.meta.url));

interface Rt {
  name: string;
  /** The command line running `script` with `args`, or why this runtime cannot run here. */
  argv: (script: string, args: string[]) => [string, string[]] | string;
}
const bunRt = bun();
const denoRt = deno();
const node: Rt = { name: 'Node', argv: (s, a) => [process.execPath, [s, ...a]] };
const runtimes: Rt[] = [
  { name: 'Bun', argv: (s, a) => bunRt.unavailable ?? [bunRt.bin, [s, ...a]] },
  // -A as users are told to run it; docs/runtimes.md lists what it covers.
  { name: 'Deno', argv: (s, a) => denoRt.unavailable ?? [denoRt.bin, ['run', '-A', s, ...a]] },
];

interface Ran {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs `script` under a runtime without blocking this process's servers; `onStderr` sees the stderr so far. */
function runScript(rt: Rt, script: string, args: string[], cwd: string, opts: { env?: NodeJS.ProcessEnv; onStderr?(text: string, kill: (sig: NodeJS.Signals) => void): void } = {}): Promise<Ran> {
  const argv = rt.argv(script, args);
  if (typeof argv === 'string') throw new Error(argv);
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv[1], { cwd, env: { ...(opts.env ?? gitEnv), NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      opts.onStderr?.(stderr, (sig) => child.kill(sig));
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const wasmgit = (rt: Rt, args: string[], cwd: string, opts?: Parameters<typeof runScript>[4]) => runScript(rt, CLI, args, cwd, opts);

let s: ServedFixture;
let daemon: GitDaemon;
/** HTTPS with a self-signed certificate made by openssl; `tlsEnv` trusts it (GIT_SSL_CAINFO). */
let tlsServer: HttpServer | undefined;
let tlsEnv: NodeJS.ProcessEnv;
let work: string;
let sshEnv: NodeJS.ProcessEnv;
/** `git clone` of each source, made once and compared with every runtime's clone. */
const reference = new Map<string, Promise<string>>();
function gitClone(key: string, args: string[], env: NodeJS.ProcessEnv = gitEnv): Promise<string> {
  let p = reference.get(key);
  if (!p) {
    const dir = join(work, `git-${key}`);
    p = gitAsync(work, ['clone', '-q', ...args, dir], env).then(() => dir);
    reference.set(key, p);
  }
  return p;
}

/** Filters for wide.git's files: a command (`*.up`) and a long-running process (`*.pf`); the config git and wasmgit both get. */
const FILTERS = ['filter.upper.smudge=tr a-z A-Z', 'filter.upper.clean=tr A-Z a-z', `filter.upcase.process='${process.execPath}' '${UPCASE}'`, 'filter.upcase.required=true'].flatMap((c) => ['-c', c]);

test.before(async () => {
  s = await serveFixture('rt-cli');
  work = s.work;
  daemon = await startGitDaemon({ root: s.fx.root });
  sshEnv = fakeSshEnv(gitEnv);
  if (hasOpenssl) {
    const { key, cert, certPath } = selfSignedCert(work);
    tlsServer = await startHttpServer({ root: s.fx.root, tls: { key, cert } });
    tlsEnv = { ...gitEnv, GIT_SSL_CAINFO: certPath };
  }
  // wide.git: one commit of 2,400 files in 60 directories (over WRITER_MIN_FILES,
  // so the checkout starts its writer thread), some of them filtered.
  const wide = s.fx.path('wide.git');
  git(s.fx.root, ['init', '-q', '--bare', '-b', 'main', wide]);
  const f = new FastImport();
  const changes = [`M 100644 :${f.blob('*.up filter=upper\n*.pf filter=upcase\n')} .gitattributes`];
  for (let i = 0; i < 2400; i++) changes.push(`M ${i % 7 ? '100644' : '100755'} :${f.blob(`file ${i}\n${'x'.repeat(i % 300)}\n`)} d${i % 60}/f${i}.${i % 100 === 0 ? 'up' : i % 100 === 1 ? 'pf' : 'txt'}`);
  f.commit('refs/heads/main', 'wide', changes);
  f.run(wide);
  // big.git: one 800 KB blob, received slowly through a relay when a test interrupts the clone.
  const big = s.fx.path('big.git');
  git(s.fx.root, ['init', '-q', '--bare', '-b', 'main', big]);
  const blob = git(big, ['hash-object', '-w', '--stdin'], randomBytes(600_000).toString('base64')).trim();
  const tree = git(big, ['mktree'], `100644 blob ${blob}\tbig.txt\n`).trim();
  git(big, ['update-ref', 'refs/heads/main', git(big, ['commit-tree', '-m', 'big', tree]).trim()]);
});

test.after(async () => {
  await tlsServer?.close();
  await daemon?.close();
  await s?.close();
});

/** The final form of each progress line (the text after its last \r), numbers and units made generic. */
function progressShape(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l !== '')
    .map((l) =>
      l
        .slice(l.lastIndexOf('\r') + 1)
        .replace(/, [\d.]+ (bytes|KiB|MiB|GiB) \| [\d.]+ (bytes|KiB|MiB|GiB)\/s/, '')
        .replace(/\d+/g, 'N')
        .trimEnd(),
    );
}

/** The phase each intermediate progress update (ending in \r) belongs to: its text before the counts. */
function progressPhases(stderr: string): Set<string> {
  const out = new Set<string>();
  for (const line of stderr.split('\n')) {
    for (const update of line.split('\r').slice(0, -1)) out.add(update.replace(/: .*/, ''));
  }
  return out;
}

let nodeProgress: Ran | undefined;

/** Signals a clone cleans up after, with git's exit status for each (128 + the signal's number). */
const SIGNALS = [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129], ['SIGQUIT', 131]] as const;

for (const rt of runtimes) {
  const n = rt.name;
  const unavailable = rt.argv(CLI, []);
  const cases: [string, () => Promise<void>][] = [
    [
      `${n}: smart HTTP with --progress: the clone git makes, progress lines shaped as under Node`,
      async () => {
        const url = s.server.url('repo.git');
        const ours = join(work, `${n}-http`);
        const r = await wasmgit(rt, ['clone', '--progress', url, ours], work);
        assert.is(r.code, 0, r.stderr);
        assertSameClone(ours, await gitClone('http', [url]));
        nodeProgress ??= await wasmgit(node, ['clone', '--progress', url, join(work, 'node-http')], work);
        assert.is(nodeProgress.code, 0, nodeProgress.stderr);
        const shape = progressShape(r.stderr);
        assert.equal(shape, progressShape(nodeProgress.stderr).map((l) => l.replace('node-http', `${n}-http`)), 'the final progress lines');
        assert.ok(shape.some((l) => /^Receiving objects: N% \(N\/N\), done\.$/.test(l)) && shape.some((l) => /^Resolving deltas: N% \(N\/N\), done\.$/.test(l)), shape.join('\n'));
        for (const phase of progressPhases(r.stderr)) assert.ok(progressPhases(nodeProgress.stderr).has(phase) || /^(Receiving objects|Resolving deltas|remote: \w+ objects)$/.test(phase), `an update Node does not print: ${phase}`);
      },
    ],
    [
      `${n}: git:// with -c pack.threads=2 (deltas resolved with a worker thread)`,
      async () => {
        const url = daemon.url('repo.git');
        const ours = join(work, `${n}-daemon`);
        const r = await wasmgit(rt, ['clone', '-q', '-c', 'pack.threads=2', url, ours], work);
        assert.is(r.code, 0, r.stderr);
        assert.is(r.stderr, '');
        assertSameClone(ours, await gitClone('daemon', ['-c', 'pack.threads=2', url]));
      },
    ],
    [
      `${n}: https, trusting GIT_SSL_CAINFO; an untrusted certificate refused`,
      async () => {
        if (!tlsServer) throw new Error('no HTTPS server');
        const url = tlsServer.url('repo.git');
        const ours = join(work, `${n}-https`);
        const r = await wasmgit(rt, ['clone', '-q', url, ours], work, { env: tlsEnv });
        assert.is(r.code, 0, r.stderr);
        assertSameClone(ours, await gitClone('https', [url], tlsEnv));
        const untrusted = await wasmgit(rt, ['clone', '-q', url, `${n}-untrusted`], work);
        assert.is(untrusted.code, 128);
        assert.match(untrusted.stderr, /^fatal: unable to access '.*': SSL certificate problem: self[- ]signed certificate\n$/);
        assert.not.ok(existsSync(join(work, `${n}-untrusted`)));
      },
    ],
    [
      `${n}: a local path: object files hard-linked as git links them`,
      async () => {
        const src = s.fx.path('repo.git');
        const ours = join(work, `${n}-local`);
        const r = await wasmgit(rt, ['clone', src, ours], work);
        assert.is(r.code, 0, r.stderr);
        assert.is(r.stderr, `Cloning into '${ours}'...\ndone.\n`);
        assertSameClone(ours, await gitClone('local', [src]));
        const packDir = join(src, 'objects', 'pack');
        const packs = readdirSync(packDir).filter((f) => f.endsWith('.pack'));
        assert.ok(packs.length > 0);
        for (const p of packs) assert.is(statSync(join(ours, '.git', 'objects', 'pack', p)).ino, statSync(join(packDir, p)).ino, `${p} is a hard link to the source's`);
      },
    ],
    [
      `${n}: ssh through GIT_SSH_COMMAND`,
      async () => {
        const url = `ssh://example.test${s.fx.path('repo.git')}`;
        const ours = join(work, `${n}-ssh`);
        const r = await wasmgit(rt, ['clone', '-q', url, ours], work, { env: sshEnv });
        assert.is(r.code, 0, r.stderr);
        assertSameClone(ours, await gitClone('ssh', [url], sshEnv));
      },
    ],
    [
      `${n}: 2,400 files (the checkout's writer thread), a filter command and a filter process`,
      async () => {
        const url = s.server.url('wide.git');
        const ours = join(work, `${n}-wide`);
        const r = await wasmgit(rt, ['clone', '-q', ...FILTERS, url, ours], work);
        assert.is(r.code, 0, r.stderr);
        assertSameClone(ours, await gitClone('wide', [...FILTERS, url]));
        assert.match(git(ours, ['show', 'HEAD:d0/f0.up']), /^file 0\n/);
        assert.match(git(ours, ['cat-file', '-p', ':d0/f0.up']), /^file 0\n/);
        assert.match(readFileSync(join(ours, 'd0', 'f0.up'), 'utf8'), /^FILE 0\n/, 'smudged by the command');
        assert.match(readFileSync(join(ours, 'd1', 'f1.pf'), 'utf8'), /^FILE 1\n/, 'smudged by the process');
      },
    ],
    [
      `${n}: ls-remote over HTTP and git:// prints what git ls-remote prints`,
      async () => {
        for (const url of [s.server.url('repo.git'), daemon.url('repo.git')]) {
          const r = await wasmgit(rt, ['ls-remote', url], work);
          assert.is(r.code, 0, r.stderr);
          assert.fixture(r.stdout, (await gitAsync(work, ['ls-remote', url])).stdout, url);
        }
      },
    ],
    [
      `${n}: a missing repository: exit 128, git's message, nothing left`,
      async () => {
        const r = await wasmgit(rt, ['clone', s.server.url('nope.git'), 'nope'], work);
        assert.is(r.code, 128, r.stderr);
        assert.is(r.stderr, `Cloning into 'nope'...\nfatal: repository '${s.server.url('nope.git')}/' not found\n`);
        assert.not.ok(existsSync(join(work, 'nope')));
      },
    ],
    ...SIGNALS.map(([sig, code]): [string, () => Promise<void>] => [
      `${n}: ${sig} in the middle of the transfer: exit ${code}, the new directory removed`,
      async () => {
        const relay = await slowRelay(s.server.port, 2048);
        try {
          let sent = false;
          const dir = `${n}-interrupted-${sig}`;
          const r = await wasmgit(rt, ['clone', '--progress', `http://127.0.0.1:${relay.port}/big.git`, dir], work, {
            onStderr: (text, kill) => {
              if (!sent && /Receiving objects: +\d+%/.test(text)) {
                sent = true;
                kill(sig);
              }
            },
          });
          assert.ok(sent, `the clone reached "Receiving objects" before the signal: ${r.stderr}`);
          assert.is(r.code, code, `${r.code} ${r.signal} ${r.stderr}`);
          assert.not.ok(existsSync(join(work, dir)), 'the partial clone is removed');
        } finally {
          relay.close();
        }
      },
    ]),
    [
      `${n}: the clone API (dist/api.js): a clone, and RepositoryNotFoundError for a missing repository`,
      async () => {
        const script = join(work, `${n}-api.mjs`);
        writeFileSync(
          script,
          `import { clone, RepositoryNotFoundError } from ${JSON.stringify(API)};
const [url, dir, missing] = process.argv.slice(2);
const phases = new Set();
const r = await clone({ repository: url, directory: dir, onProgress: (e) => phases.add(e.phase) });
let err;
try { await clone({ repository: missing, directory: dir + '-missing' }); } catch (e) { err = e; }
console.log(JSON.stringify({ head: r.head, branch: r.branch, phases: [...phases], notFound: err instanceof RepositoryNotFoundError, message: String(err?.message) }));
`,
        );
        const ours = join(work, `${n}-api`);
        const r = await runScript(rt, script, [s.server.url('repo.git'), ours, s.server.url('nope.git')], work);
        assert.is(r.code, 0, r.stderr);
        const out = JSON.parse(r.stdout);
        assert.ok(out.notFound, r.stdout);
        assert.is(out.head, git(s.fx.path('repo.git'), ['rev-parse', 'HEAD']).trim());
        assert.is(out.branch, 'refs/heads/main');
        assert.ok(out.phases.includes('start'), r.stdout);
        assert.match(out.message, /repository '.*nope\.git\/?' not found/);
        assert.not.ok(existsSync(`${ours}-missing`));
        assertSameClone(ours, await gitClone('http', [s.server.url('repo.git')]));
      },
    ],
  ];
  if (n === 'Deno') {
    cases.push([
      'Deno: what each permission is needed for; a missing one is named, once, and nothing is left',
      async () => {
        const bin = denoRt.bin;
        const deno = (perms: string[], args: string[], env?: NodeJS.ProcessEnv) => runScript({ name: n, argv: (sc, a) => [bin, ['run', '--no-prompt', ...perms, sc, ...a]] }, CLI, args, work, { env });
        const base = ['--allow-read', '--allow-write', '--allow-net', '--allow-env'];
        // HTTP(S), git:// and a local path need no more than these four.
        const sources = [s.server.url('repo.git'), daemon.url('repo.git'), s.fx.path('repo.git'), ...(tlsServer ? [tlsServer.url('repo.git')] : [])];
        for (const [i, src] of sources.entries()) {
          const r = await deno(base, ['clone', '-q', src, `deno-perms-${i}`], tlsEnv);
          assert.is(r.code, 0, `${src}: ${r.stderr}`);
          assert.is(git(join(work, `deno-perms-${i}`), ['status', '--porcelain']), '');
        }
        // file:// runs git-upload-pack: finding it on PATH needs --allow-sys (access(2) asks for the uid), running it --allow-run.
        const file = `file://${s.fx.path('repo.git')}`;
        const noSys = await deno(base, ['clone', '-q', file, 'deno-nosys']);
        assert.is(noSys.code, 128);
        assert.match(noSys.stderr, /^fatal: .*--allow-sys/);
        assert.not.match(noSys.stderr, /git installed/);
        const noRun = await deno([...base, '--allow-sys'], ['clone', '-q', file, 'deno-norun']);
        assert.is(noRun.code, 128);
        assert.match(noRun.stderr, /--allow-run/);
        const noEnv = await deno(['--allow-read', '--allow-write', '--allow-net'], ['clone', '-q', s.server.url('repo.git'), 'deno-noenv']);
        assert.is(noEnv.code, 128);
        assert.match(noEnv.stderr, /^fatal: [^\n]*--allow-env[^\n]*\n$/, 'one fatal line');
        for (const d of ['deno-nosys', 'deno-norun', 'deno-noenv']) assert.not.ok(existsSync(join(work, d)), d);
        const all = await deno([...base, '--allow-sys', '--allow-run'], ['clone', '-q', file, 'deno-file']);
        assert.is(all.code, 0, all.stderr);
        assertSameClone(join(work, 'deno-file'), await gitClone('file', [file]));
      },
    ]);
  }
  for (const [name, fn] of cases) {
    if (typeof unavailable === 'string') skipWithReason(test, name, unavailable);
    else if (name.includes('https') && !hasOpenssl) skipWithReason(test, name, 'openssl is not installed to make a test certificate');
    else test(name, fn);
  }
}

test.run();
