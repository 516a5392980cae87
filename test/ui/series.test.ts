import { describe, expect, it } from 'vitest';
import { sizeSeries } from '../../ui/src/charts/sizeSeries';
import { stacked } from '../../ui/src/charts/stack';
import { OTHER_STEPS, stepSeries } from '../../ui/src/charts/stepSeries';
import { timeRange, timeTicks } from '../../ui/src/charts/timeTicks';
import type { AlertRecord, TrendPointView } from '../../ui/src/api/types';

const point = (pushedAt: string, platform: string, sizeBytes: number, tag = 'v1', digest = `sha256:${platform}${pushedAt}`) =>
  ({ pushedAt, platform, sizeBytes, tag, digest }) as TrendPointView;

describe('chart series', () => {
  it('puts every point on the chart: one x per instant, a series per platform, two tags of one instant a millisecond apart', () => {
    const points = [
      point('2026-01-01T00:00:00Z', 'linux/amd64', 10),
      point('2026-01-01T00:00:00Z', 'linux/arm64', 9),
      point('2026-01-01T00:00:00Z', 'linux/amd64', 10, 'latest'),
      point('2026-01-02T00:00:00Z', 'linux/amd64', 12, 'v2'),
    ];
    const alert = { digest: points[3]!.digest, tag: 'v2', platform: 'linux/amd64' } as AlertRecord;
    const s = sizeSeries(points, [alert]);
    const t0 = Date.parse('2026-01-01T00:00:00Z') / 1000;
    expect(s.x).toEqual([t0, t0 + 0.001, t0 + 86_400]);
    expect(s.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    expect(s.values).toEqual([
      [10, 10, 12],
      [9, null, null],
    ]);
    expect(s.values.flat().filter((v) => v !== null)).toHaveLength(s.pointCount);
    expect(s.alerts).toEqual([
      [null, null, 12],
      [null, null, null],
    ]);
    expect(s.alertsAt[2]).toEqual([alert]);
  });

  it('stacks steps by running sums with a band between neighbours', () => {
    expect(
      stacked([
        [1, 2],
        [3, null],
        [5, 5],
      ]),
    ).toEqual({
      values: [
        [1, 2],
        [4, 2],
        [9, 7],
      ],
      bands: [{ series: [2, 1] }, { series: [3, 2] }],
    });
  });

  it('pairs steps by their text across images, sums what is beyond the palette into one band', () => {
    const layer = (createdBy: string, sizeBytes: number) => ({ digest: 'd', mediaType: 'm', createdBy, sizeBytes, foreign: false });
    const few = stepSeries([
      [layer('FROM a', 1), layer('RUN /bin/sh -c make # buildkit', 2)],
      [layer('FROM a', 1), layer('RUN /bin/sh -c make # buildkit', 5)],
    ]);
    expect(few).toEqual({
      steps: ['FROM a', 'RUN make'],
      values: [
        [1, 1],
        [2, 5],
      ],
    });
    const many = stepSeries([Array.from({ length: 10 }, (_, i) => layer(`RUN step${i}`, 100 - i))]);
    expect(many.steps).toHaveLength(8);
    expect(many.steps.at(-1)).toBe(OTHER_STEPS);
    expect(many.values.at(-1)).toEqual([93 + 92 + 91]);
  });

  it('labels time ticks in UTC, ISO order, with the date where it changes', () => {
    const t = Date.parse('2026-03-01T22:00:00Z') / 1000;
    expect(timeTicks([t, t + 3600, t + 7200], 3600)).toEqual(['22:00\n03-01', '23:00', '00:00\n03-02']);
    expect(timeTicks([t, t + 86_400], 86_400)).toEqual(['03-01\n2026', '03-02']);
  });
});

describe('the time axis', () => {
  it("is the points' own range, and a day centred on a lone instant", () => {
    expect(timeRange([1_000, 3_000, 5_000], 1_000, 5_000)).toEqual([1_000, 5_000]);
    // uPlot's own range for one instant on a seconds axis: 86,400,000 s after it.
    expect(timeRange([1_800_000_000, 1_800_000_000], 1_800_000_000, 1_886_400_000)).toEqual([1_800_000_000 - 43_200, 1_800_000_000 + 43_200]);
    expect(timeRange([], 0, 1)).toEqual([0, 1]);
  });
});
