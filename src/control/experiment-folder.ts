// Reads an experiments folder file by file for a live reload: a bad file is reported, never thrown,
// so the other files (and the previous definition of the bad one) keep serving.
import { readdir } from 'node:fs/promises';
import { isExperimentFile, loadExperimentFile, type LoadedExperiment } from '../config/load-experiments.js';

export interface FileProblems {
  readonly file: string;
  readonly problems: readonly string[];
}

export interface FolderScan {
  /** Valid files, in name order. */
  readonly loaded: readonly LoadedExperiment[];
  /** Files that failed to parse or validate, and a folder that cannot be read. */
  readonly errors: readonly FileProblems[];
  /** False when the folder itself could not be read (then nothing is known about its files). */
  readonly readable: boolean;
}

export async function scanExperimentFolder(dir: string): Promise<FolderScan> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter(isExperimentFile).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return {
      loaded: [],
      errors: [{ file: dir, problems: [`${dir}: cannot read the experiments folder (${code})`] }],
      readable: false,
    };
  }
  const loaded: LoadedExperiment[] = [];
  const errors: FileProblems[] = [];
  for (const name of names) {
    const result = await loadExperimentFile(dir, name);
    if ('problems' in result) errors.push({ file: result.file, problems: result.problems });
    else loaded.push(result.loaded);
  }
  return { loaded, errors, readable: true };
}
