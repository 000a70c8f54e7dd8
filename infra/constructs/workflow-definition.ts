/**
 * Fails synth, rather than the deployment, when a definition names a `${…}` no function fills
 * or a function fills a name the definition no longer uses. `file` names the definition in the
 * message.
 */
export function assertSubstitutionsMatch(file: string, definition: string, names: string[]): void {
  const used = new Set([...definition.matchAll(/\$\{([^}]+)\}/g)].map((match) => match[1]!));
  const missing = [...used].filter((name) => !names.includes(name));
  const unused = names.filter((name) => !used.has(name));
  if (missing.length || unused.length) {
    const problems = [...missing.map((name) => `no function fills \${${name}}`), ...unused.map((name) => `${name} is not used`)];
    throw new Error(`${file}: ${problems.join('; ')}.`);
  }
}
