import { getJson } from '../api/client';
import type { FilesAnswer } from '../api/types';
import { h } from '../dom';
import { formatBytes, formatCount, formatStep } from '../format';
import { errorState, loading } from './states';

const PAGE = 100;

/**
 * The image's final filesystem, one directory level per request as /api/files answers
 * it (largest first): a directory is a button that opens its children in place, so the
 * tree is walked with the keyboard as with the mouse.
 */
export function fileTree(query: { registry: string; repository: string; digest: string; platform: string }): HTMLElement {
  const root = h('div', { class: 'file-tree' });
  void level(root, query, '/');
  return root;
}

async function level(slot: HTMLElement, query: Record<string, string>, path: string): Promise<void> {
  slot.replaceChildren(loading(path === '/' ? 'the file tree' : path));
  try {
    const dir = await getJson<FilesAnswer>('files', { ...query, path, limit: PAGE });
    const list = h('ul', { role: 'list' });
    for (const e of dir.entries) {
      const figures = h(
        'span',
        { class: 'muted file-figures' },
        ` ${formatBytes(e.sizeBytes)}${e.type === 'dir' ? ` · ${formatCount(e.files ?? 0)} files` : ''}${e.step ? ` · ${formatStep(e.step)}` : ''}`,
      );
      if (e.type === 'dir') {
        const children = h('div', { class: 'file-children' });
        children.hidden = true;
        const toggle = h('button', { type: 'button', class: 'file-dir', 'aria-expanded': 'false' }, `${e.name}/`);
        toggle.addEventListener('click', () => {
          const open = toggle.getAttribute('aria-expanded') !== 'true';
          toggle.setAttribute('aria-expanded', String(open));
          children.hidden = !open;
          if (open && !children.hasChildNodes()) void level(children, query, e.path);
        });
        list.append(h('li', {}, toggle, figures, children));
      } else {
        list.append(h('li', {}, h('span', { class: 'file-name' }, e.name), e.linkTarget ? h('span', { class: 'muted' }, ` → ${e.linkTarget}`) : null, figures));
      }
    }
    slot.replaceChildren(list);
    if (dir.total > dir.entries.length) slot.append(h('p', { class: 'muted' }, `${formatCount(dir.total - dir.entries.length)} smaller entries not shown.`));
  } catch (e) {
    slot.replaceChildren(errorState(path, e));
  }
}
