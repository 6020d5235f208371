/**
 * Root postinstall: builds better-sqlite3's native binding for the Node that runs this project
 * (the `node` devDependency, which every npm script uses), in a way that Node can run safely.
 *
 * Two things go wrong if better-sqlite3's own install script runs (package.json's
 * `allowScripts` denies it, and this script does the build instead):
 *
 * - It downloads a prebuilt binding, which fails where only the npm registry is reachable,
 *   then compiles against whatever `nodedir` npm is configured with: on machines set to build
 *   against the system Node's headers (Node 20 here), Node 24 refuses the result
 *   (NODE_MODULE_VERSION 115 vs 137). So this script compiles against the running Node's own
 *   headers, which the `node` package ships in `include/`.
 * - From Node 24.19 on, `node::ObjectWrap` (a header-only class compiled into the addon)
 *   registers an environment cleanup hook in its constructor and removes it in its destructor,
 *   and the removal asserts that a context is entered. better-sqlite3 12 derives Database and
 *   Statement from it, so a garbage collection that finalizes a Statement outside any context
 *   aborts the process (`Assertion failed: (env) != nullptr` in RemoveEnvironmentCleanupHook;
 *   packages/core/test/sqlite-binding.test.ts provokes it within seconds). The abort
 *   follows the headers the addon was built against, not the Node it runs in, so this script
 *   builds against a copy of the headers whose ObjectWrap does not register the hook, which is
 *   what every Node before 24.19 compiled in. better-sqlite3 13 does not use ObjectWrap, but
 *   needs Node 22, and the published packages support Node 20.
 *
 * A binding already built this way, that loads, is kept: a second `npm install` compiles nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const packageDir = dirname(require.resolve('better-sqlite3/package.json'));
const HOOK_CALL = /(Add|Remove)EnvironmentCleanupHook\(v8::Isolate::GetCurrent\(\), CleanupHook, this\);/g;
const CACHE = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.cache', 'eventsync-node-headers');

/** The running Node's headers: beside a standard install, or in the `node` package's platform package. */
function headersDir() {
  const candidates = [resolve(realpathSync(process.execPath), '..', '..')];
  try {
    const fromNodePackage = createRequire(require.resolve('node/package.json'));
    candidates.push(dirname(fromNodePackage.resolve(`node-${process.platform}-${process.arch}/package.json`)));
  } catch {
    // Not run through the `node` package: the standard install's headers are the only candidate.
  }
  const found = candidates.find((dir) => existsSync(join(dir, 'include', 'node', 'node_version.h')));
  return found ?? fetchHeaders(candidates);
}

/**
 * The `node` package installs its platform package with `--no-save`, so a later `npm install`
 * prunes it, headers and all (the binary stays, copied beside it). Fetch that package again
 * from the registry, as the `node` package itself does, into the cache.
 */
function fetchHeaders(searched) {
  const name = `node-${process.platform}-${process.arch}@${process.version.slice(1)}`;
  const dir = join(CACHE, `package-${process.version}`);
  if (!existsSync(join(dir, 'package', 'include', 'node', 'node_version.h'))) {
    console.log(`no headers for Node ${process.version} in ${searched.join(' or ')}: fetching ${name}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const tarball = execFileSync('npm', ['pack', name, '--silent', '--pack-destination', dir], { encoding: 'utf8' }).trim().split('\n').at(-1);
    execFileSync('tar', ['xzf', join(dir, tarball), '-C', dir, 'package/include']);
  }
  return join(dir, 'package');
}

/**
 * The headers to build against: the originals when their ObjectWrap registers no cleanup hook,
 * else a directory of links to them in which node_object_wrap.h is a copy without the hook calls.
 */
function safeHeaders(original) {
  const wrapHeader = readFileSync(join(original, 'include', 'node', 'node_object_wrap.h'), 'utf8');
  const withoutHook = wrapHeader.replace(HOOK_CALL, '/* no cleanup hook: see scripts/build-sqlite-binding.mjs */');
  if (withoutHook === wrapHeader) return original;
  const safe = join(CACHE, process.version);
  const nodeInclude = join(safe, 'include', 'node');
  rmSync(safe, { recursive: true, force: true });
  mkdirSync(nodeInclude, { recursive: true });
  for (const entry of readdirSync(join(original, 'include', 'node'))) {
    if (entry !== 'node_object_wrap.h') symlinkSync(join(original, 'include', 'node', entry), join(nodeInclude, entry));
  }
  writeFileSync(join(nodeInclude, 'node_object_wrap.h'), withoutHook);
  return safe;
}

/** Whether the binding in place was built against `nodedir` and loads (in a child: a failed load sticks to a process). */
function builtAgainst(nodedir) {
  try {
    const config = readFileSync(join(packageDir, 'build', 'config.gypi'), 'utf8');
    if (!config.includes(`"nodedir": ${JSON.stringify(nodedir)}`)) return false;
    execFileSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: dirname(packageDir), stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const nodedir = safeHeaders(headersDir());
if (!builtAgainst(nodedir)) {
  console.log(`building better-sqlite3 for Node ${process.version} (headers in ${nodedir}); this takes a few minutes`);
  // npm's own node-gyp (npm names it in npm_config_node_gyp for the scripts it runs). It lets
  // npm_config_* variables override its command line, so nodedir goes in as one of them.
  const nodeGyp = process.env['npm_config_node_gyp'];
  const options = { cwd: packageDir, stdio: 'inherit', env: { ...process.env, npm_config_nodedir: nodedir } };
  if (nodeGyp) execFileSync(process.execPath, [nodeGyp, 'rebuild', '--release'], options);
  else execFileSync('node-gyp', ['rebuild', '--release'], options);
  if (!builtAgainst(nodedir)) throw new Error(`better-sqlite3 was built but Node ${process.version} cannot load it`);
}
