/** Kafka's configuration as its own tool prints it. */

/** `kafka-configs --describe --all` lines: "  name=value sensitive=… synonyms={…}". */
export function parseConfigs(output: string): { name: string; value: string }[] {
  return [...output.matchAll(/^\s+([a-z0-9._-]+)=(.*?) sensitive=/gm)].map((m) => ({ name: m[1]!, value: m[2]! }));
}
