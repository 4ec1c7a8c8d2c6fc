import fs from 'node:fs'
import path from 'node:path'

/** The project's root folder, whether the code runs from `src/` (tsx, jest) or from `dist/src/`. */
function findRoot(start: string): string {
  let dir = start
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir)
    if (parent === dir) return start
    dir = parent
  }
  return dir
}

export const ROOT = findRoot(__dirname)
