/**
 * What the reference page uses of Redoc's standalone bundle, which scripts/build-ui.mjs
 * inlines as a script of its own before the page's (it is a UMD bundle that sets
 * `window.Redoc` when loaded as a plain script).
 */
interface RedocStandalone {
  init(spec: object | string, options: Record<string, unknown>, element: HTMLElement | null, callback?: (error?: Error) => void): void;
}

interface Window {
  Redoc?: RedocStandalone;
}
