// packEntryHeader (assembly/pack/read.ts, through ObjectStore.entryHeader): the
// header of every entry of packs git made, SHA-1 and SHA-256, OFS_DELTA and
// REF_DELTA, must agree with `git verify-pack -v` (type, size, base), and its
// length must be exactly where the entry's zlib stream starts (node:zlib inflates
// the rest of the entry, and only it, to the size the header gives).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { loadCore } from '../../host/core/index.ts';
import { CoreError } from '../../host/core/instance.ts';
import { ObjectStore } from '../../host/core/objects.ts';
import { TYPE_NAMES } from '../../host/core/pack.ts';
import { git, tempDir } from '../helpers/git.ts';

const tmp = tempDir('entry-header');

/** A repository whose files change a little in each of 40 commits (so packs hold delta chains), plus annotated tags. */
function makeRepo(name: string, format: 'sha1' | 'sha256'): string {
  const dir = join(tmp.dir, name);
  git(tmp.dir, ['init', '-q', '--bare', `--object-format=${format}`, dir]);
  const lines = Array.from({ length: 300 }, (_, i) => `line ${i}: ${'text '.repeat(i % 13)}`);
  let stream = '';
  for (let c = 0; c < 40; c++) {
    lines[(c * 37) % lines.length] = `changed in commit ${c}`;
    const data = lines.join('\n') + '\n';
    const msg = `commit ${c}\n`;
    stream += `commit refs/heads/main\ncommitter C O Mitter <c@example.com> ${1700000000 + c} +0000\ndata ${msg.length}\n${msg}`;
    stream += `M 100644 inline f.txt\ndata ${data.length}\n${data}\nM 100644 inline g${c % 3}.txt\ndata ${data.length + 1}\n${data}!\n\n`;
    if (c % 10 === 9) stream += `tag v${c}\nfrom refs/heads/main\ntagger C O Mitter <c@example.com> ${1700000000 + c} +0000\ndata 4\ntag\n\n`;
  }
  git(dir, ['fast-import', '--quiet'], { input: stream });
  git(dir, ['repack', '-adfq', '--depth=50', '--window=50']);
  return dir;
}

interface Listed {
  oid: string;
  type: string;
  size: number;
  inPack: number;
  offset: number;
  base?: string;
}

/** `git verify-pack -v`: id, type, size in the header, bytes in the pack, offset, and for a delta its base. */
function listed(repo: string, idx: string): Listed[] {
  const out: Listed[] = [];
  for (const line of git(repo, ['verify-pack', '-v', idx]).split('\n')) {
    const m = /^([0-9a-f]{40}|[0-9a-f]{64}) +(\w+) +(\d+) (\d+) (\d+)(?: \d+ ([0-9a-f]+))?$/.exec(line);
    if (m) out.push({ oid: m[1], type: m[2], size: Number(m[3]), inPack: Number(m[4]), offset: Number(m[5]), base: m[6] });
  }
  return out;
}

function onlyPack(repo: string): { pack: string; idx: string } {
  const dir = join(repo, 'objects', 'pack');
  const idx = readdirSync(dir).filter((n) => n.endsWith('.idx'));
  assert.is(idx.length, 1);
  return { pack: join(dir, idx[0].replace(/\.idx$/, '.pack')), idx: join(dir, idx[0]) };
}

/** A second pack of every object, REF_DELTA this time (no --delta-base-offset). */
function refDeltaPack(repo: string): { pack: string; idx: string } {
  const ids = git(repo, ['cat-file', '--batch-all-objects', '--batch-check=%(objectname)']);
  const base = join(tmp.dir, `${repo.split('/').pop()}-ref`);
  const hash = git(repo, ['pack-objects', '-q', '--no-delta-base-offset', '--depth=50', '--window=50', base], { input: ids }).trim();
  return { pack: `${base}-${hash}.pack`, idx: `${base}-${hash}.idx` };
}

async function headersMatchGit(repo: string, p: { pack: string; idx: string }, format: 'sha1' | 'sha256', deltaType: 6 | 7) {
  const store = ObjectStore.open(await loadCore(), [p], { objectFormat: format });
  try {
    const bytes = readFileSync(p.pack);
    const entries = listed(repo, p.idx);
    const byId = new Map(entries.map((e) => [e.oid, e]));
    let deltas = 0;
    for (const e of entries) {
      const h = store.entryHeader(0, e.offset);
      const what = `${e.oid} at ${e.offset}`;
      if (e.base) {
        deltas++;
        assert.is(h.type, deltaType, what);
        if (deltaType === 6) assert.is(h.baseOffset, byId.get(e.base)!.offset, what);
        else assert.is(Buffer.from(h.baseId!).toString('hex'), e.base, what);
      } else {
        assert.is(h.type, TYPE_NAMES.indexOf(e.type), what);
      }
      assert.is(h.size, e.size, what);
      const z = inflateSync(bytes.subarray(e.offset + h.headerLen, e.offset + e.inPack), { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
      assert.is(z.buffer.length, e.size, what);
      assert.is(z.engine.bytesWritten, e.inPack - h.headerLen, what);
    }
    assert.ok(deltas >= 40, `${deltas} deltas among ${entries.length} entries`);
  } finally {
    store.close();
  }
}

const sha1Repo = makeRepo('sha1', 'sha1');
const sha256Repo = makeRepo('sha256', 'sha256');

test('SHA-1, OFS_DELTA pack: every header as git verify-pack reads it', async () => {
  await headersMatchGit(sha1Repo, onlyPack(sha1Repo), 'sha1', 6);
});

test('SHA-1, REF_DELTA pack: base ids of 20 bytes', async () => {
  await headersMatchGit(sha1Repo, refDeltaPack(sha1Repo), 'sha1', 7);
});

test('SHA-256, OFS_DELTA pack', async () => {
  await headersMatchGit(sha256Repo, onlyPack(sha256Repo), 'sha256', 6);
});

test('SHA-256, REF_DELTA pack: base ids of 32 bytes', async () => {
  await headersMatchGit(sha256Repo, refDeltaPack(sha256Repo), 'sha256', 7);
});

test('an offset where no entry starts, and a pack number not registered, are errors naming them', async () => {
  const p = onlyPack(sha1Repo);
  const e = listed(sha1Repo, p.idx)[3];
  const store = ObjectStore.open(await loadCore(), [p]);
  try {
    const inside = e.offset + 1;
    assert.throws(
      () => store.entryHeader(0, inside),
      (err: unknown) => err instanceof CoreError && err.code === -30 && err.offset === inside && err.message.includes(`offset ${inside}: no object starts`),
    );
    assert.throws(() => store.entryHeader(1, e.offset), (err: unknown) => err instanceof CoreError && err.code === -1 && /no pack 1 /.test(err.message));
    assert.is(store.entryHeader(0, e.offset).size, e.size, 'still usable after the errors');
  } finally {
    store.close();
  }
});

test.after(() => tmp.cleanup());
test.run();
