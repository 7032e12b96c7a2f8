/** The entry every contestant logs: a typical request log with some nesting. */
export function entry(i: number): Record<string, unknown> {
  return {
    seq: i,
    http: { request: { method: 'GET' }, response: { status_code: 200 } },
    url: { path: '/api/orders/12345' },
    user: { id: 'u-42' },
    durationMs: 12.5,
  };
}
