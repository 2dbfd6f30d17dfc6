import { describe, expect, it } from 'vitest';
import { kubeProvider } from '../../src/resources/kube-provider.ts';

describe('kubeProvider: which cluster a run uses, from LABS_CLUSTER and LABS_CLUSTER_CONTEXT', () => {
  it('is the local provider unless asked otherwise, and says so', () => {
    expect(kubeProvider({})).toEqual({ name: 'local', why: "the default; --cluster kind, --cluster existing or --context NAME uses another cluster" });
    expect(kubeProvider({ LABS_CLUSTER: 'local', LABS_CLUSTER_LOAD_IMAGE: 'kind load docker-image {image}' }).name).toBe('local');
  });

  it('is the existing provider when asked for, or when a context is named, with the image command', () => {
    expect(kubeProvider({ LABS_CLUSTER: 'existing' })).toEqual({ name: 'existing', why: "asked for (--cluster existing), with the kubeconfig's current context", context: undefined, loadImage: undefined });
    expect(kubeProvider({ LABS_CLUSTER_CONTEXT: 'kind-labs', LABS_CLUSTER_LOAD_IMAGE: 'kind load docker-image {image} --name labs' })).toEqual({
      name: 'existing',
      why: 'asked for, with --context kind-labs',
      context: 'kind-labs',
      loadImage: 'kind load docker-image {image} --name labs',
    });
  });

  it('is the kind provider when asked for', () => {
    expect(kubeProvider({ LABS_CLUSTER: 'kind' })).toEqual({ name: 'kind', why: 'asked for with --cluster kind' });
  });

  it('refuses a provider it does not have', () => {
    expect(() => kubeProvider({ LABS_CLUSTER: 'minikube' })).toThrow('LABS_CLUSTER is "minikube"; it takes local, kind or existing');
  });
});
