/**
 * What every tarball must hold, and must not: the LICENSE (the root's, byte for byte), a README
 * that names the Node range of engines, only built files, no source maps (the sources do not
 * ship), declarations exactly when the package declares types, and every file its package.json
 * points at.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const ALWAYS = ['LICENSE', 'README.md', 'package.json'];
/** Folders a package ships besides dist/: the CLI's status page is plain files served as they are (no build step). */
const SHIPPED_AS_IS = ['assets/'];

/** @returns {Promise<string[]>} the problems found, empty when the tarball is right */
export async function tarballProblems(packed, rootLicense) {
  const { manifest, files, unpacked } = packed;
  const problems = [];
  const has = new Set(files);
  for (const name of ALWAYS) if (!has.has(name)) problems.push(`${name} is missing`);
  if (has.has('LICENSE') && (await readFile(join(unpacked, 'LICENSE'), 'utf8')) !== rootLicense) problems.push('LICENSE differs from the root LICENSE');
  // A README that tells its readers which Node to use must tell them what engines says.
  const range = manifest.engines?.node;
  if (range && has.has('README.md') && !(await readFile(join(unpacked, 'README.md'), 'utf8')).includes(range)) {
    problems.push(`README.md does not name the supported Node range, ${range} (engines.node)`);
  }
  for (const file of files) {
    const shipped = file.startsWith('dist/') || SHIPPED_AS_IS.some((folder) => file.startsWith(folder));
    if (!ALWAYS.includes(file) && !shipped) problems.push(`${file}: only dist/, ${SHIPPED_AS_IS.join(', ')} and ${ALWAYS.join(', ')} should ship`);
    if (file.endsWith('.map')) problems.push(`${file}: a source map, but the sources do not ship`);
    if (file.endsWith('.ts') && !file.endsWith('.d.ts')) problems.push(`${file}: TypeScript source`);
  }
  const declares = manifest.types !== undefined || JSON.stringify(manifest.exports ?? {}).includes('"types"');
  const jsFiles = files.filter((file) => file.endsWith('.js'));
  if (declares) {
    for (const js of jsFiles) if (!has.has(js.replace(/\.js$/, '.d.ts'))) problems.push(`${js} has no declaration beside it`);
  } else {
    for (const file of files) if (file.endsWith('.d.ts')) problems.push(`${file}: declarations, but the package declares no types`);
  }
  for (const target of pointedAt(manifest)) {
    if (!has.has(target.replace(/^\.\//, ''))) problems.push(`package.json points at ${target}, which is not in the tarball`);
  }
  return problems;
}

/** Every file path in main, types, bin, exports, typesVersions and n8n's node and credential lists. */
function pointedAt(manifest) {
  const paths = [];
  const collect = (value) => {
    if (typeof value === 'string') paths.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  collect([manifest.main, manifest.types, manifest.bin, manifest.exports, manifest.typesVersions, manifest.n8n?.nodes, manifest.n8n?.credentials]);
  return paths;
}

/** One line per directory: how many files of each kind; what a reviewer reads in a release note. */
export function describeFiles(files) {
  const byDir = new Map();
  for (const file of files) {
    const slash = file.lastIndexOf('/');
    const dir = slash < 0 ? '.' : file.slice(0, slash);
    const kind = slash < 0 ? file.slice(slash + 1) : file.endsWith('.d.ts') ? '.d.ts' : file.slice(file.lastIndexOf('.'));
    const kinds = byDir.get(dir) ?? new Map();
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    byDir.set(dir, kinds);
  }
  return [...byDir].map(([dir, kinds]) => `${dir}/: ${[...kinds].map(([kind, count]) => (dir === '.' ? kind : `${count} ${kind}`)).join(', ')}`);
}
