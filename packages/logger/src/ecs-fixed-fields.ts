// service.* and event.dataset: the part of the line every entry of a logger shares, serialized once.

import { ECS_VERSION, type ServiceInfo } from './ecs-options.js';
import { createSafeObject, type SafeObject } from './sanitize.js';

/**
 * service.* and event.dataset (ecs-logging: set to the service name), built once per ServiceInfo and
 * shared by every entry (frozen: JSON.stringify only reads them; a merge makes a new object).
 */
export interface FixedFields {
  service: SafeObject;
  event: SafeObject;
  /** `,"ecs.version":…,"service":{…},"event":{…}` */
  tail: string;
  /** The same without event (for an entry that merged fields into it). */
  tailWithoutEvent: string;
}

export function fixedFields(service: ServiceInfo): FixedFields {
  let fields = fixedCache.get(service);
  if (fields === undefined) {
    const serviceFields = Object.freeze(serviceObject(service));
    const event = Object.freeze({ dataset: service.name });
    const tailWithoutEvent = `,"ecs.version":${JSON.stringify(ECS_VERSION)},"service":${JSON.stringify(serviceFields)}`;
    fields = {
      service: serviceFields,
      event,
      tail: `${tailWithoutEvent},"event":${JSON.stringify(event)}`,
      tailWithoutEvent,
    };
    fixedCache.set(service, fields);
  }
  return fields;
}
const fixedCache = new WeakMap<ServiceInfo, FixedFields>();

function serviceObject(service: ServiceInfo): SafeObject {
  const out = createSafeObject();
  out.name = service.name;
  if (service.version !== undefined) out.version = service.version;
  if (service.environment !== undefined) out.environment = service.environment;
  return out;
}
