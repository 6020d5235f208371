/**
 * Packs every published package with `npm pack`, so each one's prepack runs as it would on
 * publish, and unpacks each tarball next to it for the checks that read its files.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './run.mjs';

/** The npm workspaces that are published, and the n8n package (its own npm project). */
export const WORKSPACES = ['packages/core', 'packages/sandbox', 'packages/cli'];
export const N8N_PACKAGE = 'packages/n8n-node';

/**
 * @returns {Promise<Array<{ dir: string, manifest: any, tarball: string, unpacked: string,
 *   size: number, unpackedSize: number, files: string[] }>>} in WORKSPACES order, then n8n
 */
export async function packAll(root, dest) {
  await mkdir(dest, { recursive: true });
  const workspaceFlags = WORKSPACES.flatMap((dir) => ['-w', dir]);
  const workspaces = await run('npm', ['pack', '--json', '--pack-destination', dest, ...workspaceFlags], { cwd: root });
  const n8n = await run('npm', ['pack', '--json', '--pack-destination', dest], { cwd: join(root, N8N_PACKAGE) });
  const reports = [...npmJson(workspaces.stdout), ...npmJson(n8n.stdout)];
  const dirs = [...WORKSPACES, N8N_PACKAGE];
  if (reports.length !== dirs.length) throw new Error(`npm pack made ${reports.length} tarballs, expected ${dirs.length}`);
  return Promise.all(
    reports.map(async (report, index) => {
      const dir = join(root, dirs[index]);
      const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
      if (manifest.name !== report.name) throw new Error(`npm pack reported ${report.name} for ${dirs[index]} (${manifest.name})`);
      const tarball = join(dest, report.filename);
      const unpacked = join(dest, 'unpacked', report.filename.replace(/\.tgz$/, ''));
      await mkdir(unpacked, { recursive: true });
      await run('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1']);
      return {
        dir,
        manifest,
        tarball,
        unpacked,
        size: report.size,
        unpackedSize: report.unpackedSize,
        files: report.files.map((file) => file.path).sort(),
      };
    }),
  );
}

/** npm prints the lifecycle scripts' banners before its JSON. */
function npmJson(stdout) {
  const start = stdout.indexOf('\n[');
  return JSON.parse(stdout.trimStart().startsWith('[') ? stdout : stdout.slice(start + 1));
}
