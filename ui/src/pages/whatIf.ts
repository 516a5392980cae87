import { getJson } from '../api/client';
import { storedImage } from '../api/images';
import type { EstimateAnswer } from '../api/types';
import { estimateTable } from '../components/estimates';
import { errorState, loading } from '../components/states';
import { debounce, h } from '../dom';
import { formatBytes, shortDigest } from '../format';
import { part } from '../layout';
import { OVERRIDE_PARAMS, href } from '../route';

type WhatIfRoute = { registry: string; repository: string; digest: string; platform?: string; overrides: Record<string, string> };
type Param = (typeof OVERRIDE_PARAMS)[number];

interface Input {
  param: Param;
  label: string;
  hint: string;
  /** The model's value, shown as the placeholder: an empty field means "as configured". */
  current: (e: EstimateAnswer) => string;
  attrs: Record<string, string | number>;
}

/** A number field whose placeholder is the model's `value`, between `min` and `max`. */
function numberInput(param: Param, label: string, hint: string, value: (e: EstimateAnswer) => number, min: number, max: number, step = 1): Input {
  return { param, label, hint, current: (e) => String(value(e)), attrs: { min, max, step } };
}

const model = (e: EstimateAnswer) => e.parameters.pullModel;

/** One target's download rate; the placeholder is what the model assumes for it. */
function throughputInput(target: keyof EstimateAnswer['pull'], label: string, hint: string): Input {
  return numberInput(`${target}.throughputMBps`, label, hint, (e) => model(e).targets[target].throughputMBps, 1, 10000);
}

const INPUTS: Input[] = [
  { param: 'sku', label: 'Registry SKU', hint: 'Included storage and download rate', current: (e) => e.registryProfile.sku, attrs: {} },
  numberInput('replicas', 'Geo-replicas', 'Regions holding the registry (Premium)', (e) => e.registryProfile.replicas, 1, 50),
  numberInput(
    'throughputMBps',
    'Download throughput, every target (MB/s)',
    'Overrides each target below',
    (e) => model(e).targets.aci.throughputMBps,
    1,
    10000,
  ),
  throughputInput('aci', 'ACI throughput (MB/s)', 'Container Instances'),
  throughputInput('appService', 'App Service throughput (MB/s)', 'App Service for containers'),
  throughputInput('aks', 'AKS throughput (MB/s)', 'A new AKS node'),
  numberInput('parallelDownloads', 'Parallel layer downloads', 'Layers fetched at once', (e) => model(e).targets.aci.parallelDownloads, 1, 64),
  numberInput('compressionRatio', 'Compression ratio', 'For layers whose uncompressed size was not measured', (e) => model(e).compressionRatio, 1, 20, 0.1),
];

/**
 * Inputs for /api/estimate's overrides and the figures they give beside the configured
 * ones. Each change asks again after a pause in typing (a request per keystroke would
 * be wasted), cancels an answer still on its way, and keeps the inputs in the link.
 */
export async function whatIfPage(main: HTMLElement, route: WhatIfRoute): Promise<void> {
  const top = h('div', {}, loading('the configured estimates'));
  main.append(top);
  let configured: EstimateAnswer;
  let base: { registry: string; repository: string; digest: string; platform?: string };
  try {
    const stored = await storedImage(route.registry, route.repository, route.digest, route.platform);
    base = { registry: route.registry, repository: route.repository, digest: stored.digest, platform: route.platform ?? stored.platform };
    configured = await getJson<EstimateAnswer>('estimate', base);
  } catch (e) {
    top.replaceChildren(errorState('the estimates', e));
    return;
  }
  top.replaceChildren(
    h(
      'p',
      { class: 'muted' },
      h('a', { href: href({ view: 'image', ...base, platform: configured.platform }) }, h('code', {}, shortDigest(configured.digest))),
      ` · ${configured.platform} · ${formatBytes(configured.sizeBytes)} in ${configured.layerCount} layers · ${configured.measuredLayers} of them measured when read`,
    ),
  );

  const values: Record<string, string> = { ...route.overrides };
  const form = h('form', { class: 'whatif-form', 'aria-describedby': 'whatif-help' });
  form.addEventListener('submit', (e) => e.preventDefault());
  for (const input of INPUTS) {
    const id = `wi-${input.param.replace('.', '-')}`;
    const control =
      input.param === 'sku'
        ? h(
            'select',
            { id, name: input.param },
            h('option', { value: '' }, `as configured (${input.current(configured)})`),
            ['Basic', 'Standard', 'Premium'].map((s) => h('option', { value: s, selected: values.sku === s }, s)),
          )
        : h('input', {
            id,
            name: input.param,
            type: 'number',
            inputmode: 'decimal',
            placeholder: input.current(configured),
            value: values[input.param] ?? '',
            ...input.attrs,
          });
    control.addEventListener('input', () => {
      const v = control.value.trim();
      if (v) values[input.param] = v;
      else delete values[input.param];
      update();
    });
    form.append(h('div', { class: 'field' }, h('label', { for: id }, input.label), control, h('span', { class: 'hint muted' }, input.hint)));
  }
  const reset = h('button', { type: 'reset', class: 'secondary' }, 'Reset to configured');
  form.addEventListener('reset', () => {
    for (const k of Object.keys(values)) delete values[k];
    setTimeout(update);
  });
  form.append(h('div', { class: 'field actions' }, reset));

  const inputs = part(main, 'Parameters', { lead: 'Empty fields keep the configured model (the placeholders show it).' });
  inputs.replaceChildren(form);
  inputs.append(h('p', { id: 'whatif-help', class: 'muted' }, 'The figures below follow as you type.'));
  const results = part(main, 'Figures');
  results.setAttribute('aria-live', 'polite');
  let revision = 0;
  let inFlight: AbortController | undefined;

  const render = async () => {
    const url = new URL(location.href);
    for (const p of OVERRIDE_PARAMS) {
      if (values[p]) url.searchParams.set(p, values[p]);
      else url.searchParams.delete(p);
    }
    history.replaceState(null, '', url);
    inFlight?.abort();
    const controller = (inFlight = new AbortController());
    results.setAttribute('aria-busy', 'true');
    try {
      const e = Object.keys(values).length ? await getJson<EstimateAnswer>('estimate', { ...base, ...values }, controller.signal) : configured;
      results.replaceChildren(
        estimateTable(e, {
          caption: Object.keys(values).length ? 'With these parameters' : 'As configured',
          compareWith: configured,
          compareLabel: 'As configured',
        }),
      );
    } catch (err) {
      if ((err as Error).name === 'AbortError') return;
      results.replaceChildren(errorState('the estimate', err));
    }
    results.removeAttribute('aria-busy');
    results.dataset.revision = String(++revision);
  };
  const update = debounce(() => void render(), 300);
  await render();
}
