// A target that fails on purpose, to prove the harness catches each kind of
// failure (a fuzzer that cannot fail tests nothing). Its name starts with an
// underscore: it is never fuzzed by default, only by test/fuzz/harness.test.ts.
//
// The first byte picks the failure: 0xd1 a wasm trap, 0xd2 a write past an
// output buffer, 0xd3 a write into the input, 0xd4 an infinite loop inside
// wasm (the watchdog must kill it), 0xd5 an unknown status code. Anything else
// ends normally.
import { Failure, type Sandbox } from '../sandbox.ts';
import type { Target } from '../target.ts';

// (module (func (export "spin") (loop (br 0))))
const SPIN = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
  0x07, 0x08, 0x01, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b,
]);

export const selftestTarget: Target = {
  name: '_selftest',
  maxLen: 64,
  seeds: () => [Uint8Array.of(0), Uint8Array.of(1, 2, 3)],
  run(sb: Sandbox, input: Uint8Array) {
    const inp = sb.input(input, 'the input');
    const out = sb.buffer(8, 'the output');
    const e = sb.core.exports;
    switch (input[0]) {
      case 0xd1: sb.call('trap', () => e.inflateWhole(0xfffffff0, 100, out.ptr, 8)); break;
      case 0xd2: sb.core.bytes(out.ptr + 8, 1)[0] ^= 0xff; break;
      case 0xd3: sb.core.bytes(inp.ptr, 1)[0] ^= 0xff; break;
      case 0xd4: (new WebAssembly.Instance(new WebAssembly.Module(SPIN)).exports.spin as () => void)(); break;
      case 0xd5: sb.error(7, 'selftest'); break;
    }
    sb.verify();
    if (input.length > 64) throw new Failure('harness', 'input longer than maxLen');
    return { signature: `ok|${input[0] ?? -1}` };
  },
};
