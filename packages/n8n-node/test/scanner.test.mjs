// n8n's community-package scanner, its lint legs run offline (scripts/scan-tarball.mjs) on the
// tarball `npm pack` makes of this package and on its source.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packAndUnpack, scan } from '../scripts/scan-tarball.mjs';

let unpacked;

before(() => {
	unpacked = packAndUnpack();
});

after(() => {
	if (unpacked) rmSync(join(unpacked, '..'), { recursive: true, force: true });
});

function filesIn(dir) {
	return readdirSync(dir, { withFileTypes: true, recursive: true })
		.filter((entry) => entry.isFile())
		.map((entry) => relative(dir, join(entry.parentPath, entry.name)))
		.sort();
}

test('the tarball holds dist/ (nodes, credential, codex, icons, output schemas) and no sources', () => {
	const files = filesIn(unpacked);
	for (const file of ['package.json', 'README.md', 'dist/credentials/EventsyncApi.credentials.js', 'dist/nodes/Eventsync/Eventsync.node.js', 'dist/nodes/EventsyncTrigger/__schema__/v1.0.0.json']) {
		assert.ok(files.includes(file), `${file} is packed`);
	}
	assert.deepEqual(files.filter((file) => file.endsWith('.ts') || file.startsWith('test/') || file.startsWith('shared/')), []);
});

test('the scanner\'s lint legs find nothing in the tarball or the source', async () => {
	assert.deepEqual(await scan(unpacked), []);
});

test('they do find a timer in the tarball (the check can fail)', async () => {
	appendFileSync(join(unpacked, 'dist/credentials/EventsyncApi.credentials.js'), '\nsetTimeout(() => undefined, 1);\n');
	const findings = await scan(unpacked);
	assert.equal(findings.length, 1);
	assert.match(findings[0], /^tarball: ESLint violations found/);
	assert.match(findings[0], /setTimeout/);
});
