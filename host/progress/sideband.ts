// Messages the server sends on side-band 2, shown as git shows them
// (sideband.c: demultiplex_sideband): each '\r'- or '\n'-terminated piece gets a
// `remote: ` prefix and, when not empty, a suffix that clears what a longer
// earlier line left on the terminal (`ESC[K` on a terminal, 8 spaces otherwise);
// the terminator is kept so remote progress meters redraw in place. Pieces split
// across packets are joined; keywords are coloured on a colour terminal.

const PREFIX = 'remote: ';
const ANSI_SUFFIX = '\x1b[K';
const DUMB_SUFFIX = '        ';

const KEYWORDS: [string, string][] = [
  ['hint', '\x1b[33m'],
  ['warning', '\x1b[1;33m'],
  ['success', '\x1b[1;32m'],
  ['error', '\x1b[1;31m'],
];

function colorize(line: string): string {
  const lead = /^\s*/.exec(line)![0];
  const rest = line.slice(lead.length);
  for (const [word, color] of KEYWORDS) {
    if (rest.length >= word.length && rest.slice(0, word.length).toLowerCase() === word && !/[A-Za-z0-9]/.test(rest.charAt(word.length))) {
      return `${lead}${color}${rest.slice(0, word.length)}\x1b[m${rest.slice(word.length)}`;
    }
  }
  return line;
}

export class RemoteMessages {
  private scratch = '';
  private readonly suffix: string;

  constructor(private readonly write: (text: string) => void, opts: { terminal: boolean; color: boolean }) {
    this.suffix = opts.terminal && process.env.TERM !== 'dumb' ? ANSI_SUFFIX : DUMB_SUFFIX;
    this.color = opts.color;
  }
  private readonly color: boolean;

  push(text: string): void {
    let b = text;
    for (let brk = b.search(/[\r\n]/); brk >= 0; brk = b.search(/[\r\n]/)) {
      const line = b.slice(0, brk);
      if (this.scratch.length && !line.length) this.scratch += this.suffix;
      if (!this.scratch.length) this.scratch = PREFIX;
      if (line.length) this.scratch += (this.color ? colorize(line) : line) + this.suffix;
      this.scratch += b[brk];
      this.write(this.scratch);
      this.scratch = '';
      b = b.slice(brk + 1);
    }
    if (b.length) this.scratch += this.scratch.length ? b : PREFIX + b;
  }

  /** A message cut off by the end of the stream still gets its own line. */
  flush(): void {
    if (this.scratch.length) this.write(`${this.scratch}\n`);
    this.scratch = '';
  }
}
