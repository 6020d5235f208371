// Fails when the built dist/ breaks the rules n8n's community-package scanner applies to a
// published tarball's JavaScript: restricted globals (timers, process, globalThis, ...), and
// requires of anything but n8n-workflow and Node's crypto (a bundled axios or Bottleneck, node:http, ...).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Linter } from 'eslint';
import { rules } from '@n8n/eslint-plugin-community-nodes';

const require = createRequire(import.meta.url);

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

async function jsFiles(dir) {
	const out = [];
	for (const entry of await readdir(dir, { withFileTypes: true })) {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) out.push(...(await jsFiles(path)));
		else if (entry.name.endsWith('.js')) out.push(path);
	}
	return out;
}

const files = await jsFiles(dist);
const ALLOWED_REQUIRES = new Set(['n8n-workflow', 'crypto', 'node:crypto']);
const BANNED_TEXT = [/\baxios\b/i, /\bbottleneck\b/i, /\bsetTimeout\s*\(/, /\bsetInterval\s*\(/, /\bsetImmediate\s*\(/, /\bprocess\.(env|exit|argv|on|nextTick)\b/, /\bglobalThis\b/, /\b__dirname\b/, /\beval\s*\(/, /new Function\s*\(/];

test('dist holds the four entry files', () => {
	const names = files.map((file) => relative(dist, file)).sort();
	assert.deepEqual(names, [
		'credentials/EventsyncApi.credentials.js',
		'nodes/Eventsync/Eventsync.node.js',
		'nodes/EventsyncPollTrigger/EventsyncPollTrigger.node.js',
		'nodes/EventsyncTrigger/EventsyncTrigger.node.js',
	]);
});

test('dist passes the community-nodes no-restricted-globals rule', async () => {
	const linter = new Linter({ configType: 'flat' });
	const config = [
		{
			files: ['**/*.js'],
			languageOptions: { sourceType: 'commonjs', ecmaVersion: 2022, globals: { require: 'readonly', module: 'writable', exports: 'writable' } },
			plugins: { n8n: { rules } },
			rules: { 'n8n/no-restricted-globals': 'error' },
		},
	];
	for (const file of files) {
		const messages = linter.verify(await readFile(file, 'utf8'), config, { filename: file });
		assert.deepEqual(
			messages.map((m) => `${relative(dist, file)}:${m.line} ${m.message}`),
			[],
		);
	}
});

test('dist requires only n8n-workflow and crypto, and bundles no banned library or global', async () => {
	for (const file of files) {
		const text = await readFile(file, 'utf8');
		const requires = [...text.matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]);
		assert.ok(requires.length > 0, `${file} has no requires at all?`);
		for (const name of requires) assert.ok(ALLOWED_REQUIRES.has(name), `${relative(dist, file)} requires "${name}"`);
		assert.doesNotMatch(text, /\bimport\s*\(/, `${relative(dist, file)} has a dynamic import`);
		for (const pattern of BANNED_TEXT) assert.doesNotMatch(text, pattern, `${relative(dist, file)} matches ${pattern}`);
	}
});

test('package.json is verification-ready: no runtime dependencies, n8n-workflow as peer', async () => {
	const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
	assert.equal(pkg.dependencies, undefined);
	assert.deepEqual(pkg.peerDependencies, { 'n8n-workflow': '*' });
	assert.ok(pkg.keywords.includes('n8n-community-node-package'));
	assert.deepEqual(pkg.files, ['dist']);
	assert.equal(pkg.n8n.strict, true);
});

test('documentation links: one address, the credential\'s, with no # anchor (n8n appends tracking parameters)', async () => {
	const { EventsyncApi } = require(join(dist, 'credentials/EventsyncApi.credentials.js'));
	const url = new EventsyncApi().documentationUrl;
	assert.doesNotMatch(url, /#/);
	for (const node of ['Eventsync', 'EventsyncTrigger', 'EventsyncPollTrigger']) {
		const codex = JSON.parse(await readFile(join(dist, `nodes/${node}/${node}.node.json`), 'utf8'));
		const links = [...codex.resources.credentialDocumentation, ...codex.resources.primaryDocumentation].map((link) => link.url);
		assert.deepEqual([...new Set(links)], [url], `${node}.node.json`);
	}
});

test('an output schema where n8n looks for one: every action\'s resource/operation, each trigger', async () => {
	const { Eventsync } = require(join(dist, 'nodes/Eventsync/Eventsync.node.js'));
	const { properties } = new Eventsync().description;
	const actions = properties
		.filter((property) => property.name === 'operation')
		.flatMap((property) => property.options.map((option) => `${property.displayOptions.show.resource[0]}/${option.value}`));
	assert.equal(actions.length, 14);
	const paths = [...actions.map((action) => `nodes/Eventsync/__schema__/v1.0.0/${action}.json`), 'nodes/EventsyncTrigger/__schema__/v1.0.0.json', 'nodes/EventsyncPollTrigger/__schema__/v1.0.0.json'];
	for (const path of paths) {
		const schema = JSON.parse(await readFile(join(dist, path), 'utf8'));
		assert.equal(schema.type, 'object', path);
		assert.equal(schema.version, 1, path);
		assert.ok(Object.keys(schema.properties).length > 0, path);
	}
});
