// isomorphic-git's clone, as its documentation shows it for Node (node:fs and
// its node HTTP client), for bench/clone.ts: node bench/clone-isogit.mjs <url> <dir>
import fs from 'node:fs';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';

const [url, dir] = process.argv.slice(2);
await git.clone({ fs, http, dir, url });
