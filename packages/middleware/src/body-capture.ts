import type { Redactor } from '@org/shared-lifecycle';
import type { CaptureBudget } from './capture-budget.js';

/** Why a body was not captured (its size is still logged). */
export type BodySkipReason = 'content-type' | 'encoding' | 'no-body';

/**
 * The body part of an entry (`http.request.body` / `http.response.body`): ECS's `bytes` and
 * `content`, and, only when they apply, whether `content` is not the whole body and why.
 */
export interface BodyLog {
  /** Bytes of the body as written (after any compression applied before the logger). */
  bytes: number;
  /** Captured text (redacted), at most maxLoggedBodyBytes of it. Absent when not captured. */
  content?: string;
  /** Present (true) when `content` is not the whole body. */
  truncated?: true;
  /** Why capture stopped early: the per-body cap, or the process-wide budget was exhausted. */
  truncated_by?: 'max-bytes' | 'budget';
  /** Why a body that capture was asked for was not captured. */
  skipped?: BodySkipReason;
}

const TEXTUAL = /^(text\/|application\/([\w.+-]+\+)?(json|xml|x-www-form-urlencoded|javascript|graphql)\b)/i;

/** Decides from the content type and content encoding whether a body may be captured. */
export function captureDecision(
  contentType: unknown,
  contentEncoding: unknown,
  isTextual: (contentType: string) => boolean,
): BodySkipReason | null {
  if (contentEncoding !== undefined && contentEncoding !== null) {
    const enc = String(contentEncoding).trim().toLowerCase();
    if (enc !== '' && enc !== 'identity') return 'encoding';
  }
  if (typeof contentType !== 'string' || !isTextual(contentType)) return 'content-type';
  return null;
}

export function defaultIsTextual(contentType: string): boolean {
  return TEXTUAL.test(contentType);
}

/**
 * One body being captured: counts every byte, copies at most `limit` bytes (each reserved from the
 * shared budget first) and never holds a reference to the caller's chunk. release() gives the bytes
 * back; it is idempotent and runs in a `finally` when the response finishes, closes or errors.
 */
export class BodyCapture {
  bytes = 0;
  #chunks: Buffer[] | null = null;
  #held = 0;
  #limit: number;
  #budget: CaptureBudget;
  #skipped: BodySkipReason | null;
  #truncatedBy: 'max-bytes' | 'budget' | null = null;

  constructor(limit: number, budget: CaptureBudget, skipped: BodySkipReason | null) {
    this.#limit = limit;
    this.#budget = budget;
    this.#skipped = skipped;
    if (skipped === null) this.#chunks = [];
  }

  add(chunk: string | Uint8Array, encoding: BufferEncoding): void {
    const len = typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding) : chunk.byteLength;
    this.bytes += len;
    if (len === 0 || this.#chunks === null || this.#truncatedBy !== null) return;
    const take = Math.min(len, this.#limit - this.#held);
    if (take > 0) {
      if (!this.#budget.tryReserve(take)) {
        this.#truncatedBy = 'budget';
        return;
      }
      const copy = Buffer.allocUnsafe(take);
      let written = take;
      if (typeof chunk === 'string') written = copy.write(chunk, 0, take, encoding);
      else copy.set(take === chunk.byteLength ? chunk : chunk.subarray(0, take));
      if (written < take) this.#budget.release(take - written);
      this.#chunks.push(written < take ? copy.subarray(0, written) : copy);
      this.#held += written;
    }
    if (take < len) this.#truncatedBy = 'max-bytes';
  }

  /** Builds the log part (its text redacted) and releases the captured bytes. */
  toLog(redact: Redactor): BodyLog {
    try {
      if (this.#skipped !== null) return { bytes: this.bytes, skipped: this.#skipped };
      const chunks = this.#chunks ?? [];
      const buffer = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#held);
      const log: BodyLog = { bytes: this.bytes, content: redact.text(buffer.toString('utf8')) };
      if (this.#held < this.bytes) log.truncated = true;
      if (this.#truncatedBy !== null) log.truncated_by = this.#truncatedBy;
      return log;
    } finally {
      this.release();
    }
  }

  release(): void {
    if (this.#held > 0) this.#budget.release(this.#held);
    this.#held = 0;
    this.#chunks = null;
  }
}
