// Progress text as git prints it. The expected strings are git 2.39's own output
// (captured from `git clone --progress` with stderr not a terminal).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Progress, type Clock } from '../../host/progress/progress.ts';
import { humaniseBytes } from '../../host/progress/humanise.ts';
import { RemoteMessages } from '../../host/progress/sideband.ts';

function fakeClock(): Clock & { advance(ms: number): void } {
  let t = 0n;
  return { now: () => t, advance: (ms: number) => void (t += BigInt(ms) * 1_000_000n) };
}

test('a meter redraws on each percentage change and ends with ", done."', () => {
  let out = '';
  const p = new Progress('Receiving objects', 7, { write: (s) => void (out += s) }, { clock: fakeClock() });
  for (let i = 1; i <= 7; i++) p.update(i);
  p.stop();
  assert.is(
    out,
    'Receiving objects:  14% (1/7)\rReceiving objects:  28% (2/7)\rReceiving objects:  42% (3/7)\rReceiving objects:  57% (4/7)\r' +
      'Receiving objects:  71% (5/7)\rReceiving objects:  85% (6/7)\rReceiving objects: 100% (7/7)\rReceiving objects: 100% (7/7), done.\n',
  );
});

test('a meter starts at 0% and does not redraw an unchanged percentage within a second', () => {
  let out = '';
  const clock = fakeClock();
  const p = new Progress('Resolving deltas', 1000, { write: (s) => void (out += s) }, { clock });
  p.update(0);
  p.update(1);
  p.update(5);
  clock.advance(1100);
  p.update(6); // a pending one-second tick forces a redraw
  assert.is(out, 'Resolving deltas:   0% (0/1000)\rResolving deltas:   0% (6/1000)\r');
});

test('throughput: shown after half a second, averaged, and a final overall rate', () => {
  let out = '';
  const clock = fakeClock();
  const p = new Progress('Receiving objects', 100, { write: (s) => void (out += s) }, { clock });
  p.throughput(0);
  p.update(1);
  clock.advance(1000);
  p.throughput(2 * 1024 * 1024);
  p.update(50);
  assert.match(out, /Receiving objects:  50% \(50\/100\), 2\.00 MiB \| 2\.00 MiB\/s\r$/);
  clock.advance(1000);
  p.throughput(4 * 1024 * 1024);
  p.update(100);
  p.stop();
  assert.match(out, /Receiving objects: 100% \(100\/100\), 4\.00 MiB \| 2\.00 MiB\/s, done\.\n$/);
});

test('a delayed meter that finishes quickly prints nothing', () => {
  let out = '';
  const p = new Progress('Updating files', 10, { write: (s) => void (out += s) }, { delayed: true, clock: fakeClock() });
  for (let i = 1; i <= 10; i++) p.update(i);
  p.stop();
  assert.is(out, '');
});

test('a line wider than the terminal is split as git splits it', () => {
  let out = '';
  const p = new Progress('Receiving objects', 7, { write: (s) => void (out += s), columns: 20 }, { clock: fakeClock() });
  p.update(1);
  p.update(2);
  assert.is(out, `Receiving objects:${' '.repeat(2)}\n   14% (1/7)\r   28% (2/7)\r`);
});

test('byte counts and rates use git units and rounding', () => {
  assert.is(humaniseBytes(0), '0 bytes');
  assert.is(humaniseBytes(1), '1 byte');
  assert.is(humaniseBytes(1024), '1024 bytes');
  assert.is(humaniseBytes(1536), '1.50 KiB');
  assert.is(humaniseBytes(1024 * 1024 * 1.2), '1.20 MiB');
  assert.is(humaniseBytes(3.4 * 1024 * 1024, true), '3.40 MiB/s');
  // git truncates the GiB fraction ((x & (2^30-1)) / 10737419): 5.5 GiB shows as 5.49.
  assert.is(humaniseBytes(5 * 2 ** 30 + 2 ** 29), '5.49 GiB');
  assert.is(humaniseBytes(100, true), '100 bytes/s');
});

test('remote messages get "remote: " and the clearing suffix; \\r is kept; split lines are joined', () => {
  let out = '';
  const m = new RemoteMessages((s) => void (out += s), { terminal: false, color: false });
  m.push('Enumerating objects: 7, done.\nCounting objects:  14% (1/7)\rCounting');
  m.push(' objects: 100% (7/7), done.\n');
  m.push('Total 7 (delta 1), reused 0 (delta 0), pack-reused 0\n');
  m.push('unterminated');
  m.flush();
  const pad = '        ';
  assert.is(
    out,
    `remote: Enumerating objects: 7, done.${pad}\nremote: Counting objects:  14% (1/7)${pad}\rremote: Counting objects: 100% (7/7), done.${pad}\n` +
      `remote: Total 7 (delta 1), reused 0 (delta 0), pack-reused 0${pad}\nremote: unterminated\n`,
  );
});

test.run();
