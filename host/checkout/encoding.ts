// working-tree-encoding on checkout: the blob (UTF-8, as git stores it) is
// re-encoded for the work tree, as git's encode_to_worktree() does through
// iconv. Only encodings Node can produce exactly are supported: UTF-16 and
// UTF-32 in each byte order. git spells a BOM-prefixed little-endian form
// `UTF-16LE-BOM` / `UTF-32LE-BOM`; plain `UTF-16` / `UTF-32` is what glibc's
// iconv writes: a BOM, then little-endian. `UTF-8` is no conversion at all.

interface Target { unit: 2 | 4; bigEndian: boolean; bom: boolean }

/** utf8.c same_utf_encoding(): "utf" then an optional '-', case-insensitive. */
function target(name: string): Target | null {
  const m = /^utf-?(16|32)(le|be)?(-bom)?$/i.exec(name);
  if (!m) return null;
  const unit = m[1] === '16' ? 2 : 4;
  const order = m[2]?.toLowerCase();
  if (m[3]) return order === 'le' ? { unit, bigEndian: false, bom: true } : null;
  if (!order) return { unit, bigEndian: false, bom: true };
  return { unit, bigEndian: order === 'be', bom: false };
}

/** Why `name` cannot be written (null when it can). */
export function encodingProblem(name: string): string | null {
  return target(name) ? null : 'is not supported by wasmgit (supported: UTF-8, UTF-16, UTF-16LE, UTF-16BE, UTF-16LE-BOM, UTF-32, UTF-32LE, UTF-32BE, UTF-32LE-BOM)';
}

/**
 * `utf8` re-encoded as `name`; null when it is not valid UTF-8 (iconv fails
 * there too, and git then writes the content unencoded). Empty stays empty.
 */
export function encodeWorkTree(utf8: Uint8Array, name: string): Uint8Array | null {
  const t = target(name);
  if (!t) throw new Error(`unsupported working-tree-encoding '${name}'`);
  if (utf8.length === 0) return utf8;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(utf8);
  } catch {
    return null;
  }
  if (t.unit === 2) {
    const body = Buffer.from(text, 'utf16le');
    if (t.bigEndian) body.swap16();
    return t.bom ? Buffer.concat([Buffer.from([0xff, 0xfe]), body]) : body;
  }
  const cps = [...text].map((c) => c.codePointAt(0)!);
  const out = Buffer.alloc((cps.length + (t.bom ? 1 : 0)) * 4);
  let o = 0;
  if (t.bom) out.writeUInt32LE(0xfeff, (o += 4) - 4);
  for (const cp of cps) {
    if (t.bigEndian) out.writeUInt32BE(cp, o);
    else out.writeUInt32LE(cp, o);
    o += 4;
  }
  return out;
}
