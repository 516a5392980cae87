import { h } from '../dom';

/**
 * A modal form with a title, a body, its submit button and Cancel, as the function-key
 * and sign-in prompts show it. Cancel and Escape call `onCancel`; submitting calls
 * `onSubmit` and never navigates. Whoever handles either closes it.
 */
export function modalForm(opts: {
  id: string;
  title: string;
  body: (Node | null)[];
  /** After the buttons: e.g. why a submit did not go through. */
  after?: Node[];
  submit: HTMLButtonElement;
  onSubmit: () => void;
  onCancel: () => void;
  /** What has focus when it opens (the submit button when absent). */
  focus?: HTMLElement;
}): { close(): void } {
  const titleId = `${opts.id}-title`;
  const cancel = h('button', { type: 'button', class: 'secondary', onclick: opts.onCancel }, 'Cancel');
  const form = h(
    'form',
    { method: 'dialog', class: 'key-form' },
    h('h2', { id: titleId }, opts.title),
    ...opts.body,
    h('div', { class: 'key-actions' }, opts.submit, cancel),
    ...(opts.after ?? []),
  );
  const dialog = h('dialog', { 'aria-labelledby': titleId, class: `key-dialog ${opts.id}-dialog` }, form);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    opts.onSubmit();
  });
  dialog.addEventListener('cancel', opts.onCancel);
  document.body.append(dialog);
  dialog.showModal();
  (opts.focus ?? opts.submit).focus();
  return {
    close: () => {
      dialog.close();
      dialog.remove();
    },
  };
}
