// The ECS version and the ECS format's options: the service, the caps, the clock, the error hook.
import type { SanitizeOptions } from './sanitize.js';

export const ECS_VERSION = '8.11.0';

export interface ServiceInfo {
  name: string;
  version?: string;
  environment?: string;
}

export interface EcsFormatOptions extends SanitizeOptions {
  service: ServiceInfo;
  /** Cap of one serialized entry in UTF-8 bytes; larger entries are truncated with a marker. */
  maxEntryBytes: number;
  now: () => number;
  /** Called when formatting failed unexpectedly (a minimal entry is produced instead). */
  onFormatError?: (error: unknown) => void;
}
