import { describe, expect, it } from 'vitest';
import { estimateContext } from '../../src/services/estimates';
import { ingest } from '../../src/services/ingest';
import { whatIf } from '../../src/services/whatIf';
import { makeImage } from '../integration/support/images';
import { push, REGISTRY, world } from './world';

const estimates = estimateContext({ ACR_SKU: 'Standard', ACR_GEO_REPLICAS: 1, REGISTRY_PROFILES: undefined, ACR_PRICES: undefined, PULL_MODEL: undefined });

describe('whatIf', () => {
  it("estimates against the baseline the point's own rule chose (sameTag), not the previous push of any tag", async () => {
    const { deps, publish } = world({ baselineMode: 'sameTag' });
    const main1 = makeImage({ layers: [1000] });
    const dev = makeImage({ layers: [9000] });
    const main2 = makeImage({ layers: [1200] });
    [main1, dev, main2].forEach(publish);
    await ingest(push('team/app', main1, 'main', 0), deps);
    await ingest(push('team/app', dev, 'dev', 1), deps);
    await ingest(push('team/app', main2, 'main', 2), deps);

    const r = await whatIf({ ...deps, estimates }, { registry: REGISTRY, repository: 'team/app', digest: main2.manifest.digest }, {});
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.body.baselineDigest).toBe(main1.manifest.digest);
  });

  it('uses the baseline named in the query, and refuses unknown parameters with 400', async () => {
    const { deps, publish } = world();
    const a = makeImage({ layers: [1000] });
    const b = makeImage({ layers: [2000] });
    [a, b].forEach(publish);
    await ingest(push('team/app', a, 'v1', 0), deps);
    await ingest(push('team/app', b, 'v2', 1), deps);

    const named = await whatIf(
      { ...deps, estimates },
      { registry: REGISTRY, repository: 'team/app', digest: a.manifest.digest, baseline: b.manifest.digest },
      {},
    );
    expect(named.ok && named.body.baselineDigest).toBe(b.manifest.digest);
    const bad = await whatIf({ ...deps, estimates }, { registry: REGISTRY, repository: 'team/app', digest: b.manifest.digest }, { speed: 'fast' });
    expect(bad).toMatchObject({ ok: false, status: 400, error: expect.stringContaining('speed') });
  });
});
