// Starts the sandbox (packages/sandbox) as a child process and talks to its /_sandbox admin routes.
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const { existsSync } = require('node:fs');

const ROOT = join(__dirname, '..', '..', '..', '..');
const CHILD = join(ROOT, 'packages', 'sandbox', 'dist', 'child.js');

async function startSandbox(options = {}) {
	if (!existsSync(CHILD)) throw new Error(`${CHILD} is missing: run "npm run build" at the repository root first`);
	const child = spawn(process.execPath, [CHILD, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
	const info = await new Promise((resolve, reject) => {
		let buffer = '';
		child.stdout.on('data', (chunk) => {
			buffer += chunk;
			const newline = buffer.indexOf('\n');
			if (newline >= 0) resolve(JSON.parse(buffer.slice(0, newline)));
		});
		child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
	});
	const admin = async (method, path, body) => {
		const response = await fetch(`${info.url}${path}`, {
			method,
			headers: body ? { 'content-type': 'application/json' } : {},
			body: body ? JSON.stringify(body) : undefined,
		});
		const text = await response.text();
		return text ? JSON.parse(text) : undefined;
	};
	const api = async (method, path, body) => {
		const response = await fetch(`${info.baseUrl}${path}`, {
			method,
			headers: { 'x-api-key': info.apiKey, ...(body ? { 'content-type': 'application/json' } : {}) },
			body: body ? JSON.stringify(body) : undefined,
		});
		const text = await response.text();
		return { status: response.status, body: text ? JSON.parse(text) : undefined };
	};
	return {
		...info,
		admin,
		api,
		stop: () =>
			new Promise((resolve) => {
				if (child.exitCode !== null) return resolve();
				child.once('exit', () => resolve());
				child.kill('SIGTERM');
			}),
	};
}

module.exports = { startSandbox, ROOT };
