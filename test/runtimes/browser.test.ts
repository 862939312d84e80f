// The browser example (examples/browser/) in headless Chromium: the page clones
// a repository from a CORS-enabled `git http-backend` on another origin, indexes
// the pack with the core in a Web Worker, and shows the history and files. What
// it shows is checked against git's own view of the repository.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipWithReason } from '../helpers/skip.ts';
import { ROOT, git, makeRepo } from '../helpers/runtimes.ts';
import { startHttpServer, type HttpServer } from '../helpers/servers.ts';

const CHROMIUM = '/usr/bin/chromium';
// Flags measured to work here (no GPU, no sandbox as root, no background traffic);
// the resolver rule keeps the browser off every network but loopback.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'];

const test = suite('browser');

/** Starts examples/browser/serve.mjs as a user would; resolves to its base URL. */
function serve(args: string[]): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [join(ROOT, 'examples', 'browser', 'serve.mjs'), '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve({ url: m[1], proc });
    });
    proc.on('exit', (code) => reject(new Error(`serve.mjs exited ${code}: ${out}`)));
  });
}

async function launch(): Promise<{ ctx: import('playwright-core').BrowserContext; profile: string } | string> {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is not installed (Debian package chromium; .ci/run installs it)`;
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'wasmgit-chromium-'));
  try {
    const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 60_000 });
    return { ctx, profile };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    return `chromium cannot be started here: ${String((err as Error).message).split('\n')[0]}`;
  }
}

const browser = await launch();

if (typeof browser === 'string') {
  skipWithReason(test, 'the page clones over CORS smart HTTP and shows what git shows', browser);
} else {
  const ctx = browser.ctx;
  const base = mkdtempSync(join(tmpdir(), 'wasmgit-browser-'));
  const procs: ChildProcess[] = [];
  let gitServer: HttpServer | undefined;
  test.after(async () => {
    await ctx.close();
    for (const p of procs) p.kill();
    await gitServer?.close();
    rmSync(browser.profile, { recursive: true, force: true });
    rmSync(base, { recursive: true, force: true });
  });

  /** Opens the page on `repoUrl`, waits for the clone, and checks what it shows against git's view of `bare`. */
  async function checkPage(siteUrl: string, repoUrl: string, bare: string): Promise<void> {
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${siteUrl}/examples/browser/?url=${encodeURIComponent(repoUrl)}`);
      await page.waitForSelector('#status[data-state=done], #status[data-state=error]', { timeout: 60_000 });
      const state = await page.getAttribute('#status', 'data-state');
      assert.is(state, 'done', `page reported: ${await page.textContent('#status')}`);
      assert.equal(errors, []);

      assert.is(await page.getAttribute('body', 'data-head'), git(bare, ['rev-parse', 'HEAD']).trim());
      const shown = await page.$$eval('#log tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.oid));
      const expected = git(bare, ['rev-list', 'HEAD']).trim().split('\n');
      assert.ok(expected.length > 1);
      assert.equal(shown, expected, 'commit log is git rev-list HEAD');

      const files = await page.$$eval('#tree li[data-path]', (lis) => lis.map((li) => {
        const d = (li as HTMLElement).dataset;
        return `${d.mode} ${d.oid}\t${d.path}`;
      }));
      const lsTree = git(bare, ['ls-tree', '-r', 'HEAD']).trim().split('\n').map((l) => l.replace(/ (blob|commit) /, ' '));
      assert.equal(files, lsTree, 'file tree is git ls-tree -r HEAD');
    } finally {
      await page.close();
    }
  }

  test('the page clones over CORS smart HTTP and shows what git shows', async () => {
    const work = join(base, 'work');
    mkdirSync(work);
    makeRepo(work, 30);
    const repos = join(base, 'repos');
    mkdirSync(repos);
    const bare = join(repos, 'sample.git');
    git(base, ['clone', '-q', '--bare', work, bare]);

    // Page and repository on different origins: the fetches must pass CORS.
    const site = await serve([]);
    procs.push(site.proc);
    gitServer = await startHttpServer({ root: repos, cors: true });
    await checkPage(site.url, gitServer.url('sample.git'), bare);
    assert.ok(gitServer.requests.some((r) => r.method === 'OPTIONS'), 'the browser sent a CORS preflight');
    assert.ok(gitServer.requests.some((r) => r.method === 'POST' && r.headers['git-protocol'] === 'version=2'), 'protocol v2 over POST');
  });

  test('serve.mjs --git-root serves page and repositories together; merges, symlinks, executables', async () => {
    const work = join(base, 'merge');
    mkdirSync(work);
    makeRepo(work, 6);
    const at = (n: number) => ({ GIT_AUTHOR_DATE: `${1800000000 + n * 60} +0000`, GIT_COMMITTER_DATE: `${1800000000 + n * 60} +0000` });
    git(work, ['checkout', '-q', '-b', 'side']);
    writeFileSync(join(work, 'side.sh'), '#!/bin/sh\necho side\n', { mode: 0o755 });
    symlinkSync('side.sh', join(work, 'link'));
    git(work, ['add', '-A']);
    git(work, ['commit', '-q', '-m', 'side work'], at(1));
    git(work, ['checkout', '-q', 'main']);
    writeFileSync(join(work, 'main.txt'), 'main\n');
    git(work, ['add', '-A']);
    git(work, ['commit', '-q', '-m', 'main work'], at(2));
    git(work, ['merge', '-q', '--no-ff', '-m', 'merge side', 'side'], at(3));
    const repos = join(base, 'repos2');
    mkdirSync(repos);
    const bare = join(repos, 'merged.git');
    git(base, ['clone', '-q', '--bare', work, bare]);
    const site = await serve(['--git-root', repos]);
    procs.push(site.proc);
    await checkPage(site.url, `${site.url}/git/merged.git`, bare);
  });
}

test.run();
