/**
 * Chart colours. Each series colour has at least 3:1 contrast against the white plot
 * (WCAG 2.1 1.4.11, non-text contrast) and text colours at least 4.5:1 (1.4.3); series
 * are also told apart by their legend labels and the tooltip, never by colour alone.
 */
export const SERIES_COLORS = ['#0969da', '#bc4c00', '#1a7f37', '#8250df', '#bf3989', '#0a7ea4', '#9a6700', '#57606a'];

/** Steps beyond the palette are summed into one band in this neutral grey. */
export const OTHER_COLOR = '#6e7781';

export const ALERT_COLOR = '#cf222e';
export const PROJECTION_COLOR = '#9a6700';
export const LIMIT_COLOR = '#cf222e';

export const AXIS_TEXT = '#57606a';
export const GRID = '#d8dee4';

export const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif';

/** A translucent fill of a series colour for stacked bands (the line on top keeps full contrast). */
export function fillOf(color: string): string {
  return `${color}59`;
}
