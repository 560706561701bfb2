/** The layout of the project's ignored `.imex/` folder. */
import fs from 'node:fs';
import path from 'node:path';

export interface ImexPaths {
  home: string;
  /** Finished Go builds, one file per tool and version. */
  bin: string;
  /** Builds in progress: their lock, log and exit status. */
  build: string;
  /** Server state that `npm start` keeps between runs. */
  data: string;
  logs: string;
}

export function imexPaths(home: string, dataDir?: string): ImexPaths {
  const paths = {
    home,
    bin: path.join(home, 'bin'),
    build: path.join(home, 'build'),
    data: dataDir ?? path.join(home, 'data'),
    logs: path.join(home, 'logs'),
  };
  for (const dir of Object.values(paths)) fs.mkdirSync(dir, { recursive: true });
  return paths;
}

/** The first executable called `name` on PATH, if any. */
export function findOnPath(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
