/**
 * docs/ARCHITECTURE.md's module graph is the one the imports draw (scripts/module-graph.mjs), not a drawing that ages:
 * an import that adds or removes an arrow between the app and the libraries fails here until the document follows.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

describe('docs/ARCHITECTURE.md', () => {
  it('shows the module graph generated from the imports', () => {
    const generated = execFileSync(process.execPath, [join(ROOT, 'scripts/module-graph.mjs')], { encoding: 'utf8' });
    const doc = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');
    const block = /<!-- module-graph:begin -->\s*```mermaid\n([\s\S]*?)```\s*<!-- module-graph:end -->/.exec(doc);
    expect(block).not.toBeNull();
    expect(block![1]).toBe(generated);
    // Sanity of the generator itself: the app stands on every library, common on none.
    expect(generated).toContain('app --> tokens');
    expect(generated).not.toMatch(/^ {2}common -->/m);
    expect(generated).not.toMatch(/--> app$/m);
  });
});
