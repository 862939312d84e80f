// The library API refuses malformed options with its own typed error, as the
// CLI does with usage errors, before touching the filesystem.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clone, CloneError, RepositoryNotFoundError } from '../../host/api.ts';

async function refusal(options: unknown): Promise<CloneError> {
  try {
    await clone(options as Parameters<typeof clone>[0]);
  } catch (err) {
    assert.instance(err, CloneError, `a CloneError, not ${(err as Error)?.name}: ${(err as Error)?.message}`);
    return err as CloneError;
  }
  assert.unreachable(`clone(${JSON.stringify(options)}) succeeded`);
  throw new Error('unreachable');
}

test('a missing repository is git\'s usage error; an empty one is one that does not exist, in git\'s words', async () => {
  for (const o of [{}, { url: '/some/repo', directory: 'x' }, { repository: 42 }]) {
    const e = await refusal(o);
    assert.is(e.message, 'You must specify a repository to clone.');
  }
  const empty = await refusal({ repository: '' });
  assert.instance(empty, RepositoryNotFoundError);
  assert.is(empty.message, "repository '' does not exist");
});

test('a directory that is not a non-empty string is refused (the empty one in git\'s words), and nothing is created', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'wasmgit-api-'));
  try {
    for (const [directory, message] of [['', /^could not create work tree dir '': No such file or directory$/], [7, /directory/]] as const) {
      const e = await refusal({ repository: join(cwd, 'absent'), directory, cwd });
      assert.match(e.message, message);
    }
    assert.not.ok(existsSync(join(cwd, 'absent')));
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('depth must be a positive integer, as git says', async () => {
  for (const depth of [0, -1, 1.5]) {
    const e = await refusal({ repository: '/nonexistent/repo', directory: '/nonexistent/dir', depth });
    assert.is(e.message, `depth ${depth} is not a positive number`);
  }
});

test.run();
