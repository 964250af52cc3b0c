// `parapet explain` for a running test server's config file, as the CLI computes it.
import { loadConfig, readSource } from '../../src/config/load.js';
import { explain, type ExplainRequest, type Explanation } from '../../src/policy/explain.js';
import { compilePolicy } from '../../src/policy/index.js';

export function explainFromFile(configPath: string, request: ExplainRequest): Explanation {
  const source = readSource(configPath);
  if ('code' in source) throw new Error(source.message);
  const loaded = loadConfig(source);
  if (!loaded.ok) throw new Error(`the config does not load: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
  return explain(compilePolicy(loaded.settings, loaded.flat), request);
}
