// Lines to a caller's stream, which stays the caller's (never ended by the logger).
import type { ErrorReporter } from '@org/shared-lifecycle';
import { type Output, outputError } from './outputs.js';

class StreamOutput implements Output {
  dropped = 0;
  readonly #stream: NodeJS.WritableStream;
  readonly #onError: (error: unknown) => void;
  readonly level: string | undefined;
  readonly pretty: boolean;
  constructor(
    level: string | undefined,
    pretty: boolean,
    stream: NodeJS.WritableStream,
    onError: ErrorReporter,
  ) {
    this.level = level;
    this.pretty = pretty;
    this.#stream = stream;
    this.#onError = (error) => outputError(onError, 'the console stream', error);
    stream.on('error', this.#onError);
  }

  write(line: string): void {
    try {
      this.#stream.write(`${line}\n`);
    } catch (error) {
      this.#onError(error);
    }
  }

  async close(): Promise<void> {
    // The stream is the caller's: it stays open. Its error listener goes.
    this.#stream.removeListener('error', this.#onError);
  }
}

export function streamOutput(
  level: string | undefined,
  pretty: boolean,
  stream: NodeJS.WritableStream,
  onError: ErrorReporter,
): Output {
  return new StreamOutput(level, pretty, stream, onError);
}
