/** The index template the transport can put at start: ECS keyword/date mappings for its target. */
import type { Client } from '@elastic/elasticsearch';
import { safeCause } from './es-client.js';
import type { TransportReporter } from './es-reporter.js';

export type IndexTemplateOption = boolean | { name?: string; body?: Record<string, unknown> };

/** The template's name and body for a target (a data stream `logs-<dataset>-<namespace>`, or an index). */
export function indexTemplate(
  option: true | { name?: string; body?: Record<string, unknown> },
  target: string,
  dataStream: boolean,
): { name: string; body: Record<string, unknown> } {
  const name = (option === true ? undefined : option.name) ?? `${target}-template`;
  const pattern = dataStream ? `${target.split('-').slice(0, 2).join('-')}-*` : target;
  const body = (option === true ? undefined : option.body) ?? {
    index_patterns: [pattern],
    ...(dataStream ? { data_stream: {} } : {}),
    priority: 200,
    template: {
      mappings: {
        properties: {
          '@timestamp': { type: 'date' },
          message: { type: 'match_only_text' },
          'log.level': { type: 'keyword' },
          service: {
            properties: {
              name: { type: 'keyword' },
              version: { type: 'keyword' },
              environment: { type: 'keyword' },
            },
          },
          trace: { properties: { id: { type: 'keyword' } } },
          error: {
            properties: {
              type: { type: 'keyword' },
              message: { type: 'match_only_text' },
              stack_trace: { type: 'wildcard' },
            },
          },
        },
      },
    },
  };
  return { name, body };
}

/** PUT _index_template; a failure is reported (ORG_LOGGER_ES_TEMPLATE_FAILED) and logging goes on. Never rejects. */
export async function putIndexTemplate(
  client: Promise<Client>,
  template: { name: string; body: Record<string, unknown> },
  signal: AbortSignal,
  reporter: TransportReporter,
): Promise<void> {
  try {
    await (await client).indices.putIndexTemplate({ name: template.name, ...template.body } as never, {
      maxRetries: 0,
      signal,
    });
  } catch (error) {
    reporter.report(
      'ORG_LOGGER_ES_TEMPLATE_FAILED',
      `could not put index template ${template.name}`,
      safeCause(error),
      { name: template.name },
      true,
    );
  }
}
