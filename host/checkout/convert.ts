// What a checkout does to a blob before writing it, as git's convert.c
// (convert_attrs, convert_to_working_tree) decides and does it, in its order:
//
//   1. ident                   $Id$ -> $Id: <blob id> $        (core)
//   2. end of line             LF -> CRLF where the rules say  (core)
//   3. working-tree-encoding   UTF-8 -> UTF-16/UTF-32
//   4. filter=<driver>         filter.<driver>.smudge, run through the shell
//
// Symbolic links and gitlinks are never converted (the caller only asks for
// regular files).
import { CONVERT_CRLF, CONVERT_CRLF_AUTO, CONVERT_IDENT, convertInCore } from '../core/convert.ts';
import type { Core } from '../core/instance.ts';
import { displayPath } from '../core/tree.ts';
import { Attributes, type AttrValue } from './attributes.ts';
import { runSmudge } from './smudge.ts';
import { DELAYED, FilterProcess, FilterProcessGone, type SmudgeMeta } from './filter-process.ts';
import { encodeWorkTree, encodingProblem } from './encoding.ts';
import { configBool } from '../repo/config.ts';

/** convert.c enum convert_crlf_action. */
const enum Crlf {
  Undefined,
  Binary,
  Text,
  TextInput,
  TextCrlf,
  Auto,
  AutoInput,
  AutoCrlf,
}

type AutoCrlf = 'false' | 'true' | 'input';
type CoreEol = 'unset' | 'lf' | 'crlf' | 'native';

export interface FilterDriver {
  name: string;
  smudge?: string;
  process?: string;
  required: boolean;
}

/** What to do to one file; null when it is written as stored. */
export interface Conversion {
  flags: number;
  encoding?: string;
  driver?: FilterDriver;
}

/** A clone fails on this file (git dies here too, or we cannot do what git would). */
export class ConversionError extends Error {
  constructor(message: string, readonly path: string) {
    super(message);
    this.name = 'ConversionError';
  }
}

const WANTED = ['crlf', 'ident', 'filter', 'eol', 'text', 'working-tree-encoding'];

export interface ConverterOptions {
  core: Core;
  attributes: Attributes;
  /** Config lookup (user config and the clone's -c values), by key. */
  config(key: string): string | undefined;
  workTree: string;
  env: NodeJS.ProcessEnv;
  /** What git prints to stderr (errors of a non-required filter, encoding failures). */
  warn(message: string): void;
  /** What a long-running filter is told besides the path and blob: the ref and commit checked out. */
  checkout?: { ref?: string; treeish?: string };
  /** Stops the filter processes (their waits end with the abort's reason). */
  signal?: AbortSignal;
}

export class Converter {
  private readonly autocrlf: AutoCrlf;
  private readonly eol: CoreEol;
  private readonly drivers = new Map<string, FilterDriver | null>();
  /** Long-running filter processes by command, started at their first file. */
  private readonly processes = new Map<string, FilterProcess>();
  /** Files a filter process delayed, by process, by path (latin1). */
  private readonly delayed = new Map<FilterProcess, Map<string, { path: Buffer; display: string; meta: SmudgeMeta; driver: FilterDriver }>>();

  constructor(private readonly o: ConverterOptions) {
    const a = o.config('core.autocrlf');
    this.autocrlf = a === undefined ? 'false' : a.toLowerCase() === 'input' ? 'input' : configBool(a, 'core.autocrlf') ? 'true' : 'false';
    const e = o.config('core.eol')?.toLowerCase();
    this.eol = e === 'lf' || e === 'crlf' || e === 'native' ? e : 'unset';
  }

  /** text_eol_is_crlf(); "native" is LF on the platforms wasmgit runs git-compatibly on. */
  private textEolIsCrlf(): boolean {
    if (this.autocrlf === 'true') return true;
    if (this.autocrlf === 'input') return false;
    return this.eol === 'crlf';
  }

  /** A filter driver exists once any filter.<name>.* setting git reads is configured. */
  private driver(name: string): FilterDriver | null {
    let d = this.drivers.get(name);
    if (d !== undefined) return d;
    const get = (k: string) => this.o.config(`filter.${name}.${k}`);
    const smudge = get('smudge');
    const process = get('process');
    const clean = get('clean');
    const required = get('required');
    d = smudge === undefined && process === undefined && clean === undefined && required === undefined
      ? null
      : { name, smudge, process, required: required !== undefined && configBool(required, `filter.${name}.required`) };
    this.drivers.set(name, d);
    return d;
  }

  /** convert_attrs() for the regular file at `path`: null when nothing is to be done. */
  plan(path: Buffer): Conversion | null {
    // Most repositories: no attributes at all and no core.autocrlf, so nothing
    // converts (core.eol alone applies only to files with the text attribute).
    if (this.o.attributes.none && this.autocrlf === 'false') return null;
    const a = this.o.attributes.get(path.toString('latin1'), WANTED);
    let action = crlfAction(a.text);
    if (action === Crlf.Undefined) action = crlfAction(a.crlf);
    if (action !== Crlf.Binary) {
      const eol = a.eol === 'lf' ? 'lf' : a.eol === 'crlf' ? 'crlf' : null;
      if (action === Crlf.Auto && eol === 'lf') action = Crlf.AutoInput;
      else if (action === Crlf.Auto && eol === 'crlf') action = Crlf.AutoCrlf;
      else if (eol === 'lf') action = Crlf.TextInput;
      else if (eol === 'crlf') action = Crlf.TextCrlf;
    }
    if (action === Crlf.Text) action = this.textEolIsCrlf() ? Crlf.TextCrlf : Crlf.TextInput;
    if (action === Crlf.Undefined) action = this.autocrlf === 'true' ? Crlf.AutoCrlf : this.autocrlf === 'input' ? Crlf.AutoInput : Crlf.Binary;

    let flags = a.ident === true ? CONVERT_IDENT : 0;
    // output_eol(): only these write CRLF.
    if (action === Crlf.TextCrlf) flags |= CONVERT_CRLF;
    else if (action === Crlf.AutoCrlf || (action === Crlf.Auto && this.textEolIsCrlf())) flags |= CONVERT_CRLF_AUTO;

    let encoding: string | undefined;
    const wte = a['working-tree-encoding'];
    if (wte === true || wte === false) throw new ConversionError('true/false are no valid working-tree-encodings', displayPath(path));
    if (wte && !/^utf-?8$/i.test(wte)) {
      const problem = encodingProblem(wte);
      if (problem) throw new ConversionError(`'${displayPath(path)}': working-tree-encoding '${wte}' ${problem}`, displayPath(path));
      encoding = wte;
    }
    const driver = typeof a.filter === 'string' ? this.driver(a.filter) ?? undefined : undefined;
    if (!flags && !encoding && !driver) return null;
    return { flags, encoding, driver };
  }

  /**
   * The bytes to write for the blob at [ptr, ptr+len) of the core's memory,
   * converted as `c` says: a view into the core's memory (write it before the
   * next call into the core) when only the core's steps apply, else a copy.
   */
  async apply(c: Conversion, path: Buffer, display: string, ptr: number, len: number, id: Uint8Array): Promise<Uint8Array | typeof DELAYED> {
    if (!c.encoding && !c.driver) return convertInCore(this.o.core, ptr, len, c.flags, id);
    let data: Uint8Array = c.flags ? convertInCore(this.o.core, ptr, len, c.flags, id).slice() : this.o.core.bytes(ptr, len).slice();
    if (c.encoding) {
      const out = encodeWorkTree(data, c.encoding);
      if (out) data = out;
      else this.o.warn(`error: failed to encode '${display}' from UTF-8 to ${c.encoding}`);
    }
    const d = c.driver;
    if (!d) return data;
    let ok = false;
    if (d.process !== undefined) {
      // apply_filter() prefers the long-running process when one is configured
      // (an empty one means no filter at all). One that cannot be started is
      // tried again at the next file, its errors reported again, as git does.
      let proc = d.process ? this.processes.get(d.process) : undefined;
      if (d.process && !proc) {
        const started = await this.started(() => FilterProcess.start(d.process!, { cwd: this.o.workTree, env: this.o.env, warn: this.o.warn, signal: this.o.signal }), display);
        if (started) this.processes.set(d.process, (proc = started));
      }
      if (proc) {
        const meta = { ...this.o.checkout, blob: Buffer.from(id).toString('hex') };
        const out = await this.started(() => proc!.smudge(path, meta, data, true), display);
        if (out === DELAYED) {
          let mine = this.delayed.get(proc);
          if (!mine) this.delayed.set(proc, (mine = new Map()));
          mine.set(path.toString('latin1'), { path, display, meta, driver: d });
          return DELAYED;
        }
        if (out) {
          data = out;
          ok = true;
        }
      }
    } else if (d.smudge) {
      const r = await runSmudge(d.smudge, path, data, { cwd: this.o.workTree, env: this.o.env, warn: this.o.warn });
      if (r) {
        data = r;
        ok = true;
      }
    }
    if (!ok && d.required) throw new ConversionError(`${display}: smudge filter ${d.name} failed`, display);
    return data;
  }

  /** A filter process's work; its end in the middle of the protocol fails the checkout, required or not, as git dies. */
  private async started<T>(work: () => Promise<T>, display: string): Promise<T> {
    try {
      return await work();
    } catch (err) {
      this.o.signal?.throwIfAborted();
      if (err instanceof FilterProcessGone) throw new ConversionError(err.message, display);
      throw err;
    }
  }

  /**
   * finish_delayed_checkout(): asks each filter that delayed files for those
   * it has ready, until it lists none, and hands each file's content to
   * `write`. A file the filter refuses then is written as stored (a required
   * filter fails the checkout); one it never delivers fails it.
   */
  async finishDelayed(write: (path: Buffer, data: Uint8Array) => Promise<void>): Promise<void> {
    for (const [proc, files] of this.delayed) {
      for (;;) {
        const ready = await this.started(() => proc.available(), '');
        if (!ready.length) break;
        for (const p of ready) {
          const f = files.get(p.toString('latin1'));
          if (!f) throw new ConversionError(`'${displayPath(p)}' is now available although it has not been delayed earlier`, displayPath(p));
          files.delete(p.toString('latin1'));
          const out = await this.started(() => proc.smudge(f.path, f.meta, new Uint8Array(0)), f.display);
          if (out && out !== DELAYED) await write(f.path, out);
          else {
            if (f.driver.required) throw new ConversionError(`${f.display}: smudge filter ${f.driver.name} failed`, f.display);
            throw new ConversionError(`'${f.display}' was not filtered properly`, f.display);
          }
        }
      }
      for (const f of files.values()) throw new ConversionError(`'${f.display}' was not filtered properly`, f.display);
    }
    this.delayed.clear();
  }

  /** Ends the filter processes started: their input closed and their exit awaited, or (`kill`, after a failure) stopped. */
  async close(kill = false): Promise<void> {
    const all = [...this.processes.values()];
    this.processes.clear();
    await Promise.all(all.map((p) => p.close(kill)));
  }
}

/** git_path_check_crlf(): the `text` (or legacy `crlf`) attribute. */
function crlfAction(v: AttrValue): Crlf {
  if (v === true) return Crlf.Text;
  if (v === false) return Crlf.Binary;
  if (v === 'input') return Crlf.TextInput;
  if (v === 'auto') return Crlf.Auto;
  return Crlf.Undefined;
}
