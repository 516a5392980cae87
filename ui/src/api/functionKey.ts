import { modalForm } from '../components/dialog';
import { h } from '../dom';

/**
 * With `API_AUTH_LEVEL=function` (and no Entra sign-in in front) the read APIs answer
 * 401 without a function key. The dashboard then asks once, keeps the key for this
 * browser tab's session only (sessionStorage: gone when the tab closes, never written to
 * disk as a cookie or localStorage would be) and sends it as `x-functions-key`.
 */

const STORAGE_KEY = 'acr-size-tracker.functionKey';

export function storedKey(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined; // storage disabled: the key lives only as long as the page
  }
}

function storeKey(key: string | undefined): void {
  try {
    if (key) sessionStorage.setItem(STORAGE_KEY, key);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // see storedKey
  }
}

let asking: Promise<string | undefined> | undefined;

/**
 * Shows the key dialog, once for every request that met a 401 at the same time.
 * Resolves with the key entered, or undefined when the person cancels.
 */
export function askForKey(refused: boolean): Promise<string | undefined> {
  if (asking) return asking;
  storeKey(undefined);
  asking = new Promise<string | undefined>((resolve) => {
    const input = h('input', { type: 'password', id: 'function-key', name: 'function-key', autocomplete: 'off', required: true, spellcheck: 'false' });
    const finish = (key: string | undefined) => {
      asking = undefined;
      storeKey(key);
      modal.close();
      resolve(key);
    };
    const modal = modalForm({
      id: 'key',
      title: 'Function key needed',
      body: [
        h(
          'p',
          {},
          refused
            ? 'The API refused the key given. Enter a function key of this Function App.'
            : 'The APIs of this Function App need a function key (API_AUTH_LEVEL=function).',
        ),
        h('p', { class: 'muted' }, 'It is kept for this browser tab only and sent as the x-functions-key header.'),
        h('label', { for: 'function-key' }, 'Function key'),
        input,
      ],
      submit: h('button', { type: 'submit', value: 'ok' }, 'Use this key'),
      onSubmit: () => {
        const key = input.value.trim();
        if (key) finish(key);
      },
      onCancel: () => finish(undefined),
      focus: input,
    });
  });
  return asking;
}
