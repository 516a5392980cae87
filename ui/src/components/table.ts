import { h, replaceChildren } from '../dom';

export interface Column<R> {
  label: string;
  /** What the column sorts by; a column without it does not sort. Undefined values sort last. */
  sort?: (row: R) => number | string | undefined;
  cell: (row: R) => Node | string;
  numeric?: boolean;
  /** Hidden below 600 px: the narrow layout keeps what identifies a row and its size. */
  wide?: boolean;
}

export interface TableOptions<R> {
  caption: string;
  columns: Column<R>[];
  rows: R[];
  /** Text a row is found by; with it the table gets a filter box. */
  filterText?: (row: R) => string;
  initialSort?: { column: number; descending: boolean };
  /** Rows drawn at first and added per "Show more": a table of 10,000 points stays quick. */
  pageSize?: number;
  /** Called for each row element drawn (e.g. to load its sparkline once visible). */
  onRow?: (tr: HTMLTableRowElement, row: R) => void;
  empty?: string;
}

/**
 * A table sortable by its column headers (buttons, so the keyboard reaches them; the
 * sorted header carries aria-sort) and filterable by a text box. Sorting and filtering
 * run on the rows in memory; only the rows shown are in the document.
 */
export function dataTable<R>(opts: TableOptions<R>): HTMLElement {
  const pageSize = opts.pageSize ?? 200;
  let sort = opts.initialSort;
  let filter = '';
  let shown = pageSize;
  const tbody = h('tbody');
  const headers = opts.columns.map((c, i) => {
    const th = h('th', { scope: 'col', class: [c.numeric ? 'num' : '', c.wide ? 'wide' : ''].join(' ').trim() || null });
    if (c.sort)
      th.append(h('button', { type: 'button', class: 'sort', onclick: () => setSort(i) }, c.label, h('span', { class: 'sort-mark', 'aria-hidden': 'true' })));
    else th.append(c.label);
    return th;
  });
  const status = h('p', { class: 'table-status muted', role: 'status', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'secondary more', onclick: () => ((shown += pageSize), draw()) }, 'Show more');
  const table = h('table', {}, h('caption', { class: 'visually-hidden' }, opts.caption), h('thead', {}, h('tr', {}, headers)), tbody);

  function setSort(i: number) {
    sort = { column: i, descending: sort?.column === i ? !sort.descending : opts.columns[i]!.numeric === true };
    draw();
  }

  function visibleRows(): R[] {
    const needle = filter.trim().toLowerCase();
    const rows = needle && opts.filterText ? opts.rows.filter((r) => opts.filterText!(r).toLowerCase().includes(needle)) : [...opts.rows];
    if (sort) {
      const key = opts.columns[sort.column]!.sort!;
      const dir = sort.descending ? -1 : 1;
      rows.sort((a, b) => {
        const x = key(a);
        const y = key(b);
        if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
        return (x < y ? -1 : x > y ? 1 : 0) * dir;
      });
    }
    return rows;
  }

  function draw() {
    const rows = visibleRows();
    headers.forEach((th, i) => {
      if (sort?.column === i) th.setAttribute('aria-sort', sort.descending ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
    });
    replaceChildren(
      tbody,
      rows.slice(0, shown).map((r) => {
        const tr = h(
          'tr',
          {},
          opts.columns.map((c) => h('td', { class: [c.numeric ? 'num' : '', c.wide ? 'wide' : ''].join(' ').trim() || null }, c.cell(r))),
        );
        opts.onRow?.(tr, r);
        return tr;
      }),
    );
    if (rows.length === 0) tbody.append(h('tr', {}, h('td', { colspan: opts.columns.length, class: 'muted' }, opts.empty ?? 'Nothing matches.')));
    status.textContent =
      rows.length > shown ? `Showing ${shown} of ${rows.length} rows.` : filter ? `${rows.length} of ${opts.rows.length} rows match.` : `${rows.length} rows.`;
    more.hidden = rows.length <= shown;
  }

  const wrap = h('div', { class: 'table-block' });
  if (opts.filterText) {
    const id = `filter-${Math.random().toString(36).slice(2, 8)}`;
    const input = h('input', { type: 'search', id, placeholder: 'Filter…' });
    input.addEventListener('input', () => {
      filter = input.value;
      shown = pageSize;
      draw();
    });
    wrap.append(h('div', { class: 'table-filter' }, h('label', { for: id }, `Filter ${opts.caption.toLowerCase()}`), input));
  }
  wrap.append(h('div', { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': opts.caption }, table), status, more);
  draw();
  return wrap;
}
