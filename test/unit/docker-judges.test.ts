import { describe, expect, it } from 'vitest';
import { judgeCgroupView, judgeUserNamespace, NAMESPACES, type NamespaceLinks } from '../../labs/docker/isolation.lab.ts';

// Namespace links as the lab read them on a cgroup v1 Docker host: user and cgroup shared.
const links = Object.fromEntries(
  NAMESPACES.map((n, i) => [n, { host: `${n}:[40265318${30 + i}]`, container: n === 'user' || n === 'cgroup' ? `${n}:[40265318${30 + i}]` : `${n}:[40265329${10 + i}]` }]),
) as NamespaceLinks;

describe('docker isolation judges', () => {
  it('a shared user namespace with an identity map refutes; a remapped one confirms', () => {
    expect(judgeUserNamespace(links, '         0          0 4294967295', { inside: '0', outside: '0' }).verdict).toBe('refuted');
    const remapped = { ...links, user: { host: 'user:[1]', container: 'user:[2]' } };
    expect(judgeUserNamespace(remapped, '0 100000 65536', { inside: '0', outside: '100000' }).verdict).toBe('confirmed');
  });

  it('a host cgroup path seen inside is nuanced; a private namespace showing / confirms', () => {
    expect(judgeCgroupView(links, '9:name=systemd:/docker/b6c9ffd5d6fe', 'cgroup v1').verdict).toBe('nuanced');
    const own = { ...links, cgroup: { host: 'cgroup:[1]', container: 'cgroup:[2]' } };
    expect(judgeCgroupView(own, '0::/', 'cgroup v2').verdict).toBe('confirmed');
  });
});
