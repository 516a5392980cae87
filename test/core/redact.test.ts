import { describe, expect, it } from 'vitest';
import { redactUrl, redactUrls } from '../../src/core/redact';

const flow =
  'https://prod-12.westeurope.logic.azure.com:443/workflows/0123abcd/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SECRETSIG';

describe('redaction', () => {
  it('keeps host and path of a URL, never its query, fragment or credentials', () => {
    expect(redactUrl(flow)).toBe('https://prod-12.westeurope.logic.azure.com/workflows/0123abcd/triggers/manual/paths/invoke?[redacted]');
    expect(redactUrl('https://user:pass@example.com/hook#frag')).toBe('https://[redacted]@example.com/hook#[redacted]');
    expect(redactUrl('https://example.com/hook')).toBe('https://example.com/hook');
    expect(redactUrl('not a url sig=x')).toBe('[redacted]');
  });

  it('redacts every URL inside a text', () => {
    const text = `Request cannot be constructed from a URL that includes credentials: https://bob:hunter2@host.example/x?sig=zq9k, nor ${flow}.`;
    const redacted = redactUrls(text);
    for (const secret of ['hunter2', 'bob', 'sig=', 'SECRETSIG', 'zq9k']) expect(redacted).not.toContain(secret);
    expect(redacted).toContain('https://[redacted]@host.example/x?[redacted]');
    expect(redactUrls('HTTP 500: internal error')).toBe('HTTP 500: internal error');
  });
});
