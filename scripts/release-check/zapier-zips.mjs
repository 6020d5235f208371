/**
 * The Zapier app ships as the two zips `zapier-platform build` makes (what `zapier push`
 * uploads), not as an npm tarball: both must hold the LICENSE at their root.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { run } from './run.mjs';

export const ZAPIER_APP = 'packages/zapier-app';
const ZIPS = ['build/build.zip', 'build/source.zip'];

/** @returns {Promise<string[]>} each zip with its entry count */
export async function checkZapierZips(root) {
  const app = join(root, ZAPIER_APP);
  await run('npm', ['run', 'zip', '--silent'], { cwd: app, timeoutMs: 180_000 });
  const license = await readFile(join(root, 'LICENSE'));
  return Promise.all(
    ZIPS.map(async (zip) => {
      const entries = zipEntries(await readFile(join(app, zip)));
      if (!entries.has('LICENSE')) throw new Error(`${ZAPIER_APP}/${zip} holds no LICENSE at its root`);
      if (!entries.get('LICENSE').equals(license)) throw new Error(`${ZAPIER_APP}/${zip}: its LICENSE differs from the root LICENSE`);
      return `${zip} (${entries.size} entries)`;
    }),
  );
}

/**
 * Names of a zip's entries, each with its bytes when stored or deflated. Read from the central
 * directory at the end of the file (the format's own index), so no unzip tool is needed.
 */
function zipEntries(zip) {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a zip file');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries = new Map();
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const data = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(data, data + size);
    entries.set(name, method === 8 ? inflateRawSync(raw) : raw);
    at += 46 + nameLength + extra;
  }
  return entries;
}
