/**
 * The host as a library, for tests that run an app in-process or need the storage
 * emulator; `main.ts` is the `npm start` command built on it.
 */
export { ensureDevelopmentStorage, startAzurite, type AzuriteOptions, type AzuritePorts, type RunningAzurite } from './azurite';
export { activateRegistry, FunctionRegistry, installFunctionsCore, type FunctionRegistration } from './functionsCore';
export {
  AppLoadError,
  formatFunctionList,
  loadApp,
  serveApp,
  startHost,
  type HostFunction,
  type LoadedApp,
  type RunningHost,
  type StartHostOptions,
} from './host';
export type { LogLevel, LogSink } from './log';
