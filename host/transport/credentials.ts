// Credentials for HTTP, found where git finds them: the URL's userinfo, then
// `git credential fill` (helpers, then git's own prompt through GIT_ASKPASS or the
// terminal) when git is installed, else GIT_ASKPASS / core.askPass / SSH_ASKPASS
// directly with git's prompts. Filled credentials are approved after they worked
// and rejected after the server refused them, so helpers learn as with git.

import { configGet } from './config.ts';
import { run, which } from './process.ts';

export interface Credential {
  username: string;
  password: string;
  /** Where it came from: only `git credential` ones are approved/rejected. */
  source: 'url' | 'helper' | 'askpass';
}

export interface CredentialContext {
  url: URL; // the remote, without userinfo
  username?: string; // from the URL, when it named only a user
  env: NodeJS.ProcessEnv;
  config?: Map<string, string>;
}

function describe(ctx: CredentialContext, username?: string): string {
  const proto = ctx.url.protocol.replace(/:$/, '');
  const lines = [`protocol=${proto}`, `host=${ctx.url.host}`];
  if (username) lines.push(`username=${username}`);
  return `${lines.join('\n')}\n\n`;
}

function parseCredential(out: string): { username?: string; password?: string } {
  const res: { username?: string; password?: string } = {};
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const k = line.slice(0, eq);
    if (k === 'username') res.username = line.slice(eq + 1);
    else if (k === 'password') res.password = line.slice(eq + 1);
  }
  return res;
}

export class CredentialError extends Error {}

/** Asks for a credential; throws CredentialError with the reason when none can be had. */
export async function fillCredential(ctx: CredentialContext): Promise<Credential> {
  const git = which('git', ctx.env);
  if (git) {
    const r = await run(git, ['credential', 'fill'], { env: ctx.env, input: describe(ctx, ctx.username) });
    if (r.code !== 0) throw new CredentialError(r.stderr.trim().replace(/^fatal: /, '') || `git credential fill exited with ${r.code}`);
    const c = parseCredential(r.stdout);
    if (c.username === undefined || c.password === undefined) throw new CredentialError('git credential fill gave no username or password');
    return { username: c.username, password: c.password, source: 'helper' };
  }
  const askpass = ctx.env.GIT_ASKPASS || configGet(ctx.config, 'core.askPass') || ctx.env.SSH_ASKPASS;
  if (!askpass) {
    throw new CredentialError(`could not read Username for '${ctx.url.origin}': no GIT_ASKPASS program and git is not installed to ask a credential helper`);
  }
  const ask = async (prompt: string) => {
    const r = await run(askpass, [prompt], { env: ctx.env });
    if (r.code !== 0) throw new CredentialError(`could not read ${prompt.split(' ')[0]} for '${ctx.url.origin}': ${askpass} exited with ${r.code}`);
    return r.stdout.replace(/\r?\n$/, '').split('\n')[0];
  };
  const proto = ctx.url.protocol;
  const username = ctx.username ?? (await ask(`Username for '${ctx.url.origin}': `));
  const password = await ask(`Password for '${proto}//${encodeURIComponent(username)}@${ctx.url.host}': `);
  return { username, password, source: 'askpass' };
}

/** Tells git's credential helpers the outcome (`approve` after success, `reject` after a refusal). */
export async function reportCredential(ctx: CredentialContext, cred: Credential, verdict: 'approve' | 'reject'): Promise<void> {
  if (cred.source !== 'helper') return;
  const git = which('git', ctx.env);
  if (!git) return;
  const input = describe(ctx, cred.username).replace(/\n\n$/, `\npassword=${cred.password}\n\n`);
  await run(git, ['credential', verdict], { env: ctx.env, input }).catch(() => {});
}
