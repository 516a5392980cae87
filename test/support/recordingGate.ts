import type { RequestGate } from '../../src/services/catalog';

/** A gate that lets everything through at once and remembers who passed and who was told to pause. */
export function recordingGate(): { passed: string[]; throttled: Array<{ registry: string; retryAfterMs: number }>; gate: RequestGate } {
  const passed: string[] = [];
  const throttled: Array<{ registry: string; retryAfterMs: number }> = [];
  return {
    passed,
    throttled,
    gate: {
      gate: async (registry: string) => void passed.push(registry),
      throttled: async (registry: string, retryAfterMs: number) => void throttled.push({ registry, retryAfterMs }),
    },
  };
}
