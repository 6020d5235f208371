// Builds dist/: one CommonJS file per credential and node, with the core's pure layer bundled in
// (so the published package has no runtime dependencies), plus codex files, icons and the
// nodes' output schemas (shared/output-schemas.ts).
import { build } from 'esbuild';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
const entries = [...pkg.n8n.credentials, ...pkg.n8n.nodes].map((file) => file.replace(/^dist\//, '').replace(/\.js$/, ''));

await rm(join(root, 'dist'), { recursive: true, force: true });
await build({
	absWorkingDir: root,
	entryPoints: Object.fromEntries(entries.map((entry) => [entry, `${entry}.ts`])),
	outdir: 'dist',
	bundle: true,
	platform: 'node',
	format: 'cjs',
	target: 'node20',
	// Provided by n8n at runtime (peer dependency); crypto is Node's and allowed by n8n's rules.
	external: ['n8n-workflow', 'crypto', 'node:crypto'],
	sourcemap: false,
	legalComments: 'none',
	logLevel: 'warning',
});
for (const entry of entries.filter((entry) => entry.startsWith('nodes/'))) {
	await cp(join(root, `${entry}.json`), join(root, 'dist', `${entry}.json`));
}
// The schemas come from TypeScript that imports the core: bundle it in memory and run it.
const schemas = await build({
	absWorkingDir: root,
	entryPoints: ['shared/output-schemas.ts'],
	bundle: true,
	platform: 'node',
	format: 'esm',
	write: false,
	logLevel: 'warning',
});
const { schemaFiles } = await import(`data:text/javascript;base64,${Buffer.from(schemas.outputFiles[0].contents).toString('base64')}`);
const files = Object.entries(schemaFiles());
for (const [path, schema] of files) {
	await mkdir(dirname(join(root, 'dist', path)), { recursive: true });
	await writeFile(join(root, 'dist', path), `${JSON.stringify(schema, null, 2)}\n`);
}
await mkdir(join(root, 'dist/icons'), { recursive: true });
await cp(join(root, 'icons'), join(root, 'dist/icons'), { recursive: true });
console.log(`built ${entries.length} entries and ${files.length} output schemas into dist/`);
