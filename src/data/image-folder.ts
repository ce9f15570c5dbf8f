// Listing image files without decoding them (a 50,000-image folder costs a list of paths): an ImageNet-style folder
// of class subfolders (`class/*.JPEG`, labelled), a flat folder (unlabelled), a list file (one path a line,
// relative to the list's folder; unlabelled) or one image file.
// Classes follow torchvision's ImageFolder: the sorted subfolder names, each searched recursively, files sorted;
// only the extensions in IMAGE_EXTENSIONS are listed (other files — README.txt, .DS_Store — are skipped, as there).
// Unlike timm's folder reader, which silently drops a class folder without images (shifting every later class
// index), such a folder is an error, as in torchvision.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DataError } from './errors.ts';
import { IMAGE_EXTENSIONS } from './image-decode.ts';

export interface ImageListing {
  kind: 'image-folder' | 'image-list' | 'image';
  /** The folder, list file or image given. */
  root: string;
  files: string[];
  /** Class index of each file, or null when unlabelled (flat folder, list, single image). */
  labels: Int32Array | null;
  classNames: string[] | null;
}

const EXTENSIONS = IMAGE_EXTENSIONS.join(', ');

export function isImageFileName(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

/** Code-point order, as Python's sorted() (not locale order). */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function entries(dir: string): Promise<import('node:fs').Dirent[]> {
  try {
    return (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => byCodePoint(a.name, b.name));
  } catch (err) {
    throw new DataError(dir, `a folder that cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'a readable folder of images', { cause: err });
  }
}

async function isDir(p: string, e: import('node:fs').Dirent): Promise<boolean> {
  if (e.isDirectory()) return true;
  if (!e.isSymbolicLink()) return false;
  return (await fs.stat(p).catch(() => null))?.isDirectory() ?? false;
}

/** Image files under `dir`, recursively, in sorted order (hidden entries skipped; a symbolic link back to a folder being listed is not followed again). */
async function imagesUnder(dir: string, visiting: Set<string> = new Set()): Promise<string[]> {
  const real = await fs.realpath(dir).catch(() => dir);
  if (visiting.has(real)) return [];
  visiting.add(real);
  const out: string[] = [];
  for (const e of await entries(dir)) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (await isDir(p, e)) out.push(...(await imagesUnder(p, visiting)));
    else if (isImageFileName(e.name)) out.push(p);
  }
  visiting.delete(real);
  return out;
}

/** Lists a folder: class subfolders (labelled) if it has any, else its image files (unlabelled). */
export async function listImageFolder(dir: string): Promise<ImageListing> {
  const root = path.resolve(dir);
  const all = (await entries(root)).filter((e) => !e.name.startsWith('.'));
  const subdirs: string[] = [];
  for (const e of all) if (await isDir(path.join(root, e.name), e)) subdirs.push(e.name);
  if (subdirs.length === 0) {
    const files = all.filter((e) => isImageFileName(e.name)).map((e) => path.join(root, e.name));
    if (files.length === 0)
      throw new DataError(root, `a folder without image files (${all.length} other entries)`, `images (${EXTENSIONS}) or class subfolders of images`);
    return { kind: 'image-folder', root, files, labels: null, classNames: null };
  }
  const files: string[] = [];
  const labels: number[] = [];
  for (const [c, name] of subdirs.entries()) {
    const found = await imagesUnder(path.join(root, name), new Set([await fs.realpath(root).catch(() => root)]));
    if (found.length === 0)
      throw new DataError(path.join(root, name), 'a class folder without image files', `at least one image (${EXTENSIONS}) in every class subfolder of ${root} (remove the folder or add its images)`);
    for (const f of found) {
      files.push(f);
      labels.push(c);
    }
  }
  return { kind: 'image-folder', root, files, labels: Int32Array.from(labels), classNames: subdirs };
}

/** Lists a list file: one image path a line (relative paths from the list's folder); '#' comments and blank lines skipped. */
export async function listImageListFile(file: string): Promise<ImageListing> {
  const root = path.resolve(file);
  const text = await fs.readFile(root, 'utf8');
  const files: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!isImageFileName(line)) throw new DataError(root, `line ${i + 1} '${line}'`, `one image path a line (${EXTENSIONS})`);
    files.push(path.resolve(path.dirname(root), line));
  }
  if (files.length === 0) throw new DataError(root, 'a list without image paths', `one image path a line (${EXTENSIONS})`);
  return { kind: 'image-list', root, files, labels: null, classNames: null };
}
