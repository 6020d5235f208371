// Runs the two lint legs of n8n's community-package scanner (@n8n/scan-community-package) on
// this package without a registry: the tarball leg on what `npm pack` produces (the same bytes
// `npm publish` uploads) and the source leg on this directory, with the scanner's own ESLint
// config and rules. Exits 1 on any finding, which the scanner's CLI does not do.
//
// The scanner's other legs need the network: it reads package data and the provenance
// attestation from a registry address fixed in its source, then downloads the attested GitHub
// source. They run after a real release (README: Release).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOURCE_FILE_PATTERNS, analyzePackage } from '@n8n/scan-community-package/scanner/scanner.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Both legs on `packageDir` (an unpacked tarball) and `sourceDir`; resolves with the findings, empty when clean. */
export async function scan(packageDir, sourceDir = root) {
	const legs = [
		['tarball', await analyzePackage(packageDir, ['**/*.js', 'package.json'])],
		['source', await analyzePackage(sourceDir, SOURCE_FILE_PATTERNS)],
	];
	return legs.filter(([, result]) => !result.passed).map(([leg, result]) => `${leg}: ${result.message}\n${result.details ?? ''}`);
}

/** `npm pack` of this package, unpacked into a new temporary directory; returns that directory. */
export function packAndUnpack() {
	const work = mkdtempSync(join(tmpdir(), 'n8n-scan-'));
	const packed = spawnSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
	if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
	const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
	const unpacked = join(work, 'package');
	mkdirSync(unpacked);
	const untar = spawnSync('tar', ['-xzf', join(work, tarball), '-C', unpacked, '--strip-components=1'], { encoding: 'utf8' });
	if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
	return unpacked;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const unpacked = packAndUnpack();
	try {
		const findings = await scan(unpacked);
		if (findings.length > 0) {
			console.error(findings.join('\n'));
			process.exitCode = 1;
		} else {
			console.log(`n8n scanner lint legs: no findings in the packed tarball (${unpacked}) or the source`);
		}
	} finally {
		rmSync(join(unpacked, '..'), { recursive: true, force: true });
	}
}
