// The committer identity and timestamp git puts in reflog entries
// (ident.c: git_committer_info). Sources in git's order: GIT_COMMITTER_NAME /
// GIT_COMMITTER_EMAIL, then user.name / user.email from config, then EMAIL,
// then the account's name and user@host. GIT_COMMITTER_DATE overrides the clock.
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';

// ident.c: strbuf_addstr_without_crud — trims these from both ends, and drops
// '<', '>' and newlines anywhere, so an identity can never break the line format.
function isCrud(c: string): boolean {
  return c.charCodeAt(0) <= 32 || '.,:;<>"\\\''.includes(c);
}

export function withoutCrud(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isCrud(s[a])) a++;
  while (b > a && isCrud(s[b - 1])) b--;
  return s.slice(a, b).replace(/[<>\n]/g, '');
}

function accountName(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry */
  }
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] !== user) continue;
      // The GECOS field up to its first comma, '&' standing for the capitalised login name.
      const gecos = (f[4] ?? '').split(',')[0].replace(/&/g, user.charAt(0).toUpperCase() + user.slice(1));
      if (gecos) return gecos;
    }
  } catch {
    /* no /etc/passwd */
  }
  return user;
}

function defaultEmail(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* ignore */
  }
  const host = hostname();
  return `${user}@${host.includes('.') ? host : `${host}.(none)`}`;
}

/** `+hhmm` for a UTC offset in minutes east. */
export function formatTz(minutesEast: number): string {
  const sign = minutesEast < 0 ? '-' : '+';
  const m = Math.abs(minutesEast);
  return `${sign}${String(Math.floor(m / 60)).padStart(2, '0')}${String(m % 60).padStart(2, '0')}`;
}

/** Parses GIT_COMMITTER_DATE in git's internal forms (`<secs> <tz>`, `@<secs> <tz>`) or an ISO 8601 / RFC 2822 date. */
export function parseGitDate(s: string): { seconds: number; tz: string } | null {
  const m = /^@?(\d+)(?:\s+([+-]\d{4}))?$/.exec(s.trim());
  if (m) return { seconds: Number(m[1]), tz: m[2] ?? '+0000' };
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return null;
  const tzm = /([+-])(\d{2}):?(\d{2})\s*$/.exec(s.trim());
  const tz = tzm ? `${tzm[1]}${tzm[2]}${tzm[3]}` : /Z$/i.test(s.trim()) ? '+0000' : formatTz(-new Date(ms).getTimezoneOffset());
  return { seconds: Math.floor(ms / 1000), tz };
}

/** `Name <email> <seconds> <+hhmm>` as it appears in a reflog line. */
export function committerIdent(config: (key: string) => string | undefined, env: NodeJS.ProcessEnv = process.env, now = new Date()): string {
  const name = withoutCrud(env.GIT_COMMITTER_NAME ?? config('user.name') ?? accountName());
  const email = withoutCrud(env.GIT_COMMITTER_EMAIL ?? config('user.email') ?? env.EMAIL ?? defaultEmail());
  let when = { seconds: Math.floor(now.getTime() / 1000), tz: formatTz(-now.getTimezoneOffset()) };
  if (env.GIT_COMMITTER_DATE) when = parseGitDate(env.GIT_COMMITTER_DATE) ?? when;
  return `${name} <${email}> ${when.seconds} ${when.tz}`;
}
