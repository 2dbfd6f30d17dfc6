/** Reading the local cluster's etcd directly, as only the API server otherwise does. */

/** One etcd range request through etcd's JSON gateway (etcd's client port is plain HTTP on loopback here). */
export async function etcdRange(endpoint: string, key: string, options: { prefix?: boolean; keysOnly?: boolean } = {}): Promise<{ key: string; value: Buffer }[]> {
  const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
  const body: Record<string, unknown> = { key: b64(key), keys_only: options.keysOnly ?? false };
  if (options.prefix) {
    const end = Buffer.from(key);
    end[end.length - 1]! += 1;
    body.range_end = b64(end);
  }
  const response = await fetch(`${endpoint}/v3/kv/range`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`etcd range ${key}: HTTP ${response.status}`);
  const json = (await response.json()) as { kvs?: { key: string; value?: string }[] };
  return (json.kvs ?? []).map((kv) => ({ key: Buffer.from(kv.key, 'base64').toString(), value: Buffer.from(kv.value ?? '', 'base64') }));
}
