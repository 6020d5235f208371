/**
 * Root postinstall: builds better-sqlite3's native binding for the Node that runs this project
 * (the `node` devDependency, which every npm script uses), not for the machine's own Node.
 *
 * Left to itself, better-sqlite3's install script downloads a prebuilt binding (which fails
 * where only the npm registry is reachable) and then compiles with node-gyp against whatever
 * `nodedir` npm is configured with: on machines set to build against the system Node's headers
 * (Node 20 here) that gives a binding Node 24 refuses to load (NODE_MODULE_VERSION 115 vs 137).
 * So package.json's `allowScripts` denies that script, and this one runs the same two steps
 * with `nodedir` set to the running Node's own headers (the `node` package ships `include/`).
 * A binding that already loads is kept: a second `npm install` compiles nothing.
 */
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

const require = createRequire(import.meta.url);

/** In a child: a process that failed to load a binding keeps failing on it, even once rebuilt. */
function loads() {
  try {
    // The binding is loaded when the first database opens, not on require.
    execFileSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The running Node's headers: beside a standard install, or in the `node` package's platform package. */
function headersDir() {
  const candidates = [resolve(realpathSync(process.execPath), '..', '..')];
  try {
    const fromNodePackage = createRequire(require.resolve('node/package.json'));
    candidates.push(dirname(fromNodePackage.resolve(`node-${process.platform}-${process.arch}/package.json`)));
  } catch {
    // Not run through the `node` package: the standard install's headers are the only candidate.
  }
  const found = candidates.find((dir) => existsSync(resolve(dir, 'include', 'node', 'node_version.h')));
  if (!found) throw new Error(`no headers for Node ${process.version} in ${candidates.join(' or ')}`);
  return found;
}

if (!loads()) {
  const packageDir = dirname(require.resolve('better-sqlite3/package.json'));
  const nodedir = headersDir();
  console.log(`building better-sqlite3 for Node ${process.version} (headers in ${nodedir}); this takes a few minutes`);
  execSync('prebuild-install || node-gyp rebuild --release', {
    cwd: packageDir,
    stdio: 'inherit',
    env: { ...process.env, npm_config_nodedir: nodedir },
  });
  if (!loads()) throw new Error(`better-sqlite3 was built but Node ${process.version} cannot load it`);
}
